/**
 * Procedural primitives as triangle meshes, built once in Node so physics, labels, the BOP
 * model files and the renderer all see the very same geometry.
 */
import type { TriMesh, Vec3 } from './types.js';

class MeshBuilder {
  positions: number[] = [];
  normals: number[] = [];
  indices: number[] = [];
  uvs: number[] = [];
  vertex(p: Vec3, n: Vec3, uv: [number, number]): number {
    this.positions.push(...p);
    this.normals.push(...n);
    this.uvs.push(...uv);
    return this.positions.length / 3 - 1;
  }
  triangle(a: number, b: number, c: number): void {
    this.indices.push(a, b, c);
  }
  build(): TriMesh {
    return {
      positions: new Float32Array(this.positions),
      normals: new Float32Array(this.normals),
      indices: new Uint32Array(this.indices),
      uvs: new Float32Array(this.uvs),
    };
  }
}

/**
 * Box with full extents `size`, centred on the origin; flat-shaded faces. Each face carries the
 * whole texture ([0, 1]^2), unmirrored seen from outside: on the +Z top u runs along +X and v
 * along +Y (an image appears as in a viewer looking down with +X right, +Y up); on the +-X faces
 * v runs up along +Z.
 */
export function boxMesh(size: Vec3): TriMesh {
  const b = new MeshBuilder();
  const h = size.map((s) => s / 2) as Vec3;
  for (let axis = 0; axis < 3; axis++) {
    for (const sign of [1, -1]) {
      const n: Vec3 = [0, 0, 0];
      n[axis] = sign;
      const u = (axis + 1) % 3;
      const v = (axis + 2) % 3;
      const corner = (su: number, sv: number): number => {
        const p: Vec3 = [0, 0, 0];
        p[axis] = sign * h[axis];
        p[u] = su * h[u];
        p[v] = sv * h[v];
        // Seen from outside (u, v) is right-handed on + faces; mirror u on - faces.
        return b.vertex(p, n, [(sign * su + 1) / 2, (sv + 1) / 2]);
      };
      const c0 = corner(-1, -1), c1 = corner(1, -1), c2 = corner(1, 1), c3 = corner(-1, 1);
      // u x v = axis, so (c0,c1,c2) winds counter-clockwise seen from +axis; flip for -axis.
      if (sign > 0) { b.triangle(c0, c1, c2); b.triangle(c0, c2, c3); }
      else { b.triangle(c0, c2, c1); b.triangle(c0, c3, c2); }
    }
  }
  return b.build();
}

/**
 * Cylinder along Z, centred on the origin, smooth sides and flat caps. UVs: the side wraps the
 * texture once around (u with the angle from +X, v up along Z); each cap maps the texture's
 * [0, 1]^2 onto the disc's bounding square, unmirrored seen from outside.
 */
export function cylinderMesh(radius: number, height: number, segments = 32): TriMesh {
  const b = new MeshBuilder();
  const z = height / 2;
  const ring: [number, number][] = [];
  for (let i = 0; i < segments; i++) {
    const a = (2 * Math.PI * i) / segments;
    ring.push([Math.cos(a), Math.sin(a)]);
  }
  for (let i = 0; i < segments; i++) {
    const [c0, s0] = ring[i];
    const [c1, s1] = ring[(i + 1) % segments];
    const u0 = i / segments, u1 = (i + 1) / segments;
    const a = b.vertex([radius * c0, radius * s0, -z], [c0, s0, 0], [u0, 0]);
    const bb = b.vertex([radius * c1, radius * s1, -z], [c1, s1, 0], [u1, 0]);
    const c = b.vertex([radius * c1, radius * s1, z], [c1, s1, 0], [u1, 1]);
    const d = b.vertex([radius * c0, radius * s0, z], [c0, s0, 0], [u0, 1]);
    b.triangle(a, bb, c);
    b.triangle(a, c, d);
  }
  for (const sign of [1, -1]) {
    const centre = b.vertex([0, 0, sign * z], [0, 0, sign], [0.5, 0.5]);
    const rim = ring.map(([c, s]) => b.vertex([radius * c, radius * s, sign * z], [0, 0, sign], [(sign * c + 1) / 2, (s + 1) / 2]));
    for (let i = 0; i < segments; i++) {
      const j = (i + 1) % segments;
      if (sign > 0) b.triangle(centre, rim[i], rim[j]);
      else b.triangle(centre, rim[j], rim[i]);
    }
  }
  return b.build();
}

/** UV sphere centred on the origin; u with the longitude from +X, v from the -Z pole (0) to +Z (1). */
export function sphereMesh(radius: number, rings = 16, segments = 32): TriMesh {
  const b = new MeshBuilder();
  for (let r = 0; r <= rings; r++) {
    const theta = (Math.PI * r) / rings;
    for (let s = 0; s <= segments; s++) {
      const phi = (2 * Math.PI * s) / segments;
      const n: Vec3 = [Math.sin(theta) * Math.cos(phi), Math.sin(theta) * Math.sin(phi), Math.cos(theta)];
      b.vertex([radius * n[0], radius * n[1], radius * n[2]], n, [s / segments, 1 - r / rings]);
    }
  }
  const row = segments + 1;
  for (let r = 0; r < rings; r++) {
    for (let s = 0; s < segments; s++) {
      const a = r * row + s, c = a + row;
      // Rows go from +Z down, so (a, c, a+1) is counter-clockwise seen from outside.
      if (r > 0) b.triangle(a, c, a + 1);
      if (r < rings - 1) b.triangle(a + 1, c, c + 1);
    }
  }
  return b.build();
}
