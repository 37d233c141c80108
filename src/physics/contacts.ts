/**
 * Speculative contacts for cannon-es's plane/convex pair.
 *
 * cannon-es only creates a plane contact for a vertex that is on or below the plane. A body resting
 * on an edge or a face (a box tipping, a cylinder prism rocking between facets) is pushed slightly
 * out by the solver, loses the contact for one step, falls freely for that step (g·dt), penetrates,
 * and is pushed out again by the SPOOK position correction. That cycle pumps energy into the
 * rocking motion, so such bodies never fall asleep. Creating contacts for vertices up to `margin`
 * above the plane keeps the contact alive; a contact with a positive gap only limits the approach
 * speed (λ ≥ 0), so resting heights are unchanged.
 */
import { Vec3, type Body, type ContactEquation, type ConvexPolyhedron, type Narrowphase, type Plane, type Quaternion, type Shape } from 'cannon-es';

/** The narrowphase methods we replace, with the (internal) members they use. */
interface NarrowphaseInternals {
  planeConvex: (...args: unknown[]) => boolean | void;
  createContactEquation(bi: Body, bj: Body, si: Shape, sj: Shape, overrideShapeA?: Shape, overrideShapeB?: Shape): ContactEquation;
  createFrictionEquationsFromContact(c: ContactEquation, out: unknown[]): boolean;
  createFrictionFromAverage(numContacts: number): void;
  enableFrictionReduction: boolean;
  result: ContactEquation[];
  frictionResult: unknown[];
}

/** Replace `narrowphase.planeConvex` (also used for plane/box) with a version that has a contact margin. */
export function installPlaneConvexMargin(narrowphase: Narrowphase, margin: number): void {
  const np = narrowphase as unknown as NarrowphaseInternals;
  const worldVertex = new Vec3();
  const worldNormal = new Vec3();
  const relpos = new Vec3();
  const projected = new Vec3();
  np.planeConvex = function planeConvexWithMargin(
    this: NarrowphaseInternals,
    planeShape: Plane,
    convexShape: ConvexPolyhedron,
    planePosition: Vec3,
    convexPosition: Vec3,
    planeQuat: Quaternion,
    convexQuat: Quaternion,
    planeBody: Body,
    convexBody: Body,
    si: Shape,
    sj: Shape,
    justTest: boolean,
  ): boolean | void {
    worldNormal.set(0, 0, 1);
    planeQuat.vmult(worldNormal, worldNormal);
    let numContacts = 0;
    for (let i = 0; i !== convexShape.vertices.length; i++) {
      worldVertex.copy(convexShape.vertices[i]);
      convexQuat.vmult(worldVertex, worldVertex);
      convexPosition.vadd(worldVertex, worldVertex);
      worldVertex.vsub(planePosition, relpos);
      const dot = worldNormal.dot(relpos);
      if (dot <= margin) {
        if (justTest) {
          if (dot <= 0) return true;
          continue;
        }
        const r = this.createContactEquation(planeBody, convexBody, planeShape, convexShape, si, sj);
        worldNormal.scale(dot, projected);
        worldVertex.vsub(projected, projected);
        projected.vsub(planePosition, r.ri); // from the plane origin to the vertex projected on the plane
        r.ni.copy(worldNormal);
        worldVertex.vsub(convexPosition, r.rj);
        r.ri.vadd(planePosition, r.ri);
        r.ri.vsub(planeBody.position, r.ri);
        r.rj.vadd(convexPosition, r.rj);
        r.rj.vsub(convexBody.position, r.rj);
        this.result.push(r);
        numContacts++;
        if (!this.enableFrictionReduction) this.createFrictionEquationsFromContact(r, this.frictionResult);
      }
    }
    if (this.enableFrictionReduction && numContacts) this.createFrictionFromAverage(numContacts);
  } as NarrowphaseInternals['planeConvex'];
}
