import { describe, expect, it } from 'vitest';
import type { Mat3, Vec3 } from '../../src/geometry/types.js';
import { axisAngleToMat3 } from '../../src/geometry/transforms.js';
import { DEFAULT_SETTLE_SETTINGS, settle, type BinSupport, type CollisionShape, type SettleInput, type ShelfSupport } from '../../src/physics/settle.js';
import { supportFloor, supportWalls, type StructureBox } from '../../src/physics/support.js';
import { randomRotation, rng } from './scenes.js';

const I: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
const settings = { ...DEFAULT_SETTLE_SETTINGS };
const BIN: BinSupport = { kind: 'bin', size: [0.4, 0.3], wallHeight: 0.12, wallThickness: 0.01 };
const SHELF: ShelfSupport = { kind: 'shelf', size: [0.8, 0.3], height: 0.3, thickness: 0.02, top: true };

function drop(support: SettleInput['support'], shape: CollisionShape, t: Vec3, R: Mat3 = I) {
  return settle({ support, bodies: [{ shape, mass: 0.2, pose: { R, t } }], settings });
}

const overlaps = (a: StructureBox, b: StructureBox) =>
  [0, 1, 2].every((k) => Math.abs(a.center[k] - b.center[k]) < (a.size[k] + b.size[k]) / 2 - 1e-9);

describe('support structure', () => {
  it('a bin has four walls around the inner floor, from z = 0 to the wall height, not overlapping each other', () => {
    const walls = supportWalls(BIN);
    expect(walls).toHaveLength(4);
    const inner: StructureBox = { size: [0.4, 0.3, 0.12], center: [0, 0, 0.06] };
    for (const w of walls) {
      expect(overlaps(w, inner)).toBe(false);
      expect(w.center[2] - w.size[2] / 2).toBeCloseTo(0, 12);
      expect(w.center[2] + w.size[2] / 2).toBeCloseTo(0.12, 12);
    }
    for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) expect(overlaps(walls[i], walls[j])).toBe(false);
    // Together they close the rectangle: the outer extents are the inner size plus two thicknesses.
    const maxX = Math.max(...walls.map((w) => w.center[0] + w.size[0] / 2));
    const maxY = Math.max(...walls.map((w) => w.center[1] + w.size[1] / 2));
    expect([maxX, maxY]).toEqual([expect.closeTo(0.21, 12), expect.closeTo(0.16, 12)]);
    const floor = supportFloor(BIN);
    expect([...floor.size, ...floor.center]).toEqual([0.42, 0.32, 0.01, 0, 0, -0.005].map((v) => expect.closeTo(v, 12)));
  });

  it('a shelf has side walls, a back wall at +y and (optionally) a board above at its height', () => {
    const walls = supportWalls(SHELF);
    expect(walls).toHaveLength(4);
    const top = walls[3];
    expect(top.center[2] - top.size[2] / 2).toBeCloseTo(0.3, 12);
    const back = walls[2];
    expect(back.center[1] - back.size[1] / 2).toBeCloseTo(0.15, 12);
    const space: StructureBox = { size: [0.8, 0.3, 0.3], center: [0, 0, 0.15] };
    for (const w of walls) expect(overlaps(w, space)).toBe(false);
    expect(supportWalls({ ...SHELF, top: false })).toHaveLength(3);
    expect(overlaps(supportFloor(SHELF), space)).toBe(false);
  });
});

describe('settle: bin', () => {
  it('the walls stop a toppling box: it ends leaning on the wall, where on the bare floor it lies flat', () => {
    const size: Vec3 = [0.02, 0.02, 0.1]; // shorter than the walls are high
    const R = axisAngleToMat3([0, 1, 0], 0.35); // tilted towards +x
    const start: Vec3 = [0.17, 0, 0.05 * Math.cos(0.35) + 0.01 * Math.sin(0.35) + 0.003];
    const inBin = drop(BIN, { type: 'box', size }, start, R);
    expect(inBin.problem).toBeNull();
    const onFloor = drop({ kind: 'ground' }, { type: 'box', size }, start, R);
    expect(onFloor.problem).toBeNull();
    expect(onFloor.poses[0].t[2]).toBeLessThan(0.02); // lying flat
    expect(inBin.poses[0].t[2]).toBeGreaterThan(0.03); // still leaning up
    // Its top end stays inside the wall (x <= 0.2 + a contact margin).
    const p = inBin.poses[0];
    const topX = p.t[0] + p.R[2] * 0.05;
    expect(topX).toBeLessThan(0.2 + 0.003);
  });

  it('a drop overlapping a wall is rejected before stepping; one over the rim is off the support', () => {
    const box: CollisionShape = { type: 'box', size: [0.05, 0.05, 0.05] };
    const inWall = drop(BIN, box, [0.2, 0, 0.05]);
    expect(inWall.problem?.kind).toBe('interpenetration');
    expect(inWall.steps).toBe(0);
    const outside = drop(BIN, box, [0.3, 0, 0.05]);
    expect(outside.problem?.kind).toBe('off-support');
    expect(outside.problem?.detail).toMatch(/bin floor/);
  });

  it('a pile of 16 random objects settles inside the walls, deterministically', () => {
    const r = rng(7);
    const u = (lo: number, hi: number) => lo + (hi - lo) * r();
    const bodies: SettleInput['bodies'] = [];
    for (let i = 0; i < 16; i++) {
      const shape: CollisionShape = i % 3 === 0
        ? { type: 'box', size: [u(0.03, 0.06), u(0.03, 0.06), u(0.02, 0.05)] }
        : i % 3 === 1 ? { type: 'cylinder', radius: u(0.015, 0.025), height: u(0.04, 0.07) } : { type: 'sphere', radius: u(0.015, 0.025) };
      // Four layers of a 2 x 2 grid, 8 cm apart: bounding spheres (< 4 cm) never overlap.
      const layer = Math.floor(i / 4), cell = i % 4;
      const t: Vec3 = [(cell % 2 ? 1 : -1) * 0.08 + u(-0.02, 0.02), (cell < 2 ? 1 : -1) * 0.06 + u(-0.02, 0.02), 0.05 + 0.08 * layer];
      bodies.push({ shape, mass: u(0.1, 0.3), pose: { R: randomRotation(r), t } });
    }
    const input: SettleInput = { support: BIN, bodies, settings: { ...settings, maxSteps: 1200 } };
    const result = settle(input);
    expect(result.problem).toBeNull();
    for (const p of result.poses) {
      expect(Math.abs(p.t[0])).toBeLessThan(0.2);
      expect(Math.abs(p.t[1])).toBeLessThan(0.15);
      expect(p.t[2]).toBeGreaterThan(0);
      expect(p.t[2]).toBeLessThan(0.12);
    }
    expect(settle(input)).toEqual(result);
  });
});

describe('settle: shelf', () => {
  it('an upright box stands on the board under the board above', () => {
    const r = drop(SHELF, { type: 'box', size: [0.06, 0.05, 0.15] }, [0.1, 0, 0.08]);
    expect(r.problem).toBeNull();
    expect(r.poses[0].t[2]).toBeCloseTo(0.075, 2);
    expect(r.poses[0].R[8]).toBeGreaterThan(0.999);
  });

  it('the back wall holds a box tipping backwards', () => {
    const size: Vec3 = [0.02, 0.02, 0.2];
    const R = axisAngleToMat3([1, 0, 0], -0.35); // top towards +y, the back
    const r = drop(SHELF, { type: 'box', size }, [0, 0.09, 0.1 * Math.cos(0.35) + 0.01 * Math.sin(0.35) + 0.003], R);
    expect(r.problem).toBeNull();
    expect(r.poses[0].t[2]).toBeGreaterThan(0.05);
    const p = r.poses[0];
    expect(p.t[1] + p.R[5] * 0.1).toBeLessThan(0.15 + 0.003);
  });

  it('a body above the board above, or in front of the board, is off the support', () => {
    const box: CollisionShape = { type: 'box', size: [0.04, 0.04, 0.04] };
    const above = drop(SHELF, box, [0, 0, 0.4]);
    expect(above.problem?.kind).toBe('off-support');
    expect(above.problem?.detail).toMatch(/shelf board \(or above z=0.3\)/);
    expect(drop({ ...SHELF, top: false }, box, [0, 0, 0.4]).problem).toBeNull();
    expect(drop(SHELF, box, [0, -0.2, 0.05]).problem?.kind).toBe('off-support');
  });
});
