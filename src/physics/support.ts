/**
 * The structure of walled supports (a bin, a shelf) as world-aligned boxes: one description that
 * physics (static colliders) and the renderer (unlabeled meshes) both build from.
 *
 * World frame as everywhere: Z up, the surface objects rest on is the plane z = 0, centred on the
 * origin. A shelf is open towards -y: its back wall stands at +y, its side walls at +-x.
 */
import type { Vec3 } from '../geometry/types.js';

/** A world-aligned box: full extents and centre (m). */
export interface StructureBox {
  size: Vec3;
  center: Vec3;
}

/** A bin: floor z = 0 with four walls around the inner size. */
export interface BinSupport {
  kind: 'bin';
  /** Inner extents along x and y (m): a centre of mass outside them is off the support. */
  size: [number, number];
  wallHeight: number;
  wallThickness: number;
}

/** A shelf board (top at z = 0) with a back wall (+y), side walls (+-x) and optionally a board above. */
export interface ShelfSupport {
  kind: 'shelf';
  /** Board width (x) and depth (y) between the walls (m): a centre of mass outside them is off the support. */
  size: [number, number];
  /** Clear height between the board and the board above (or the top of the walls). */
  height: number;
  /** Thickness of the boards and walls. */
  thickness: number;
  top: boolean;
}

export type WalledSupport = BinSupport | ShelfSupport;

/** The walls of a bin or shelf (the floor / board itself is the plane z = 0 in physics). */
export function supportWalls(support: WalledSupport): StructureBox[] {
  const [sx, sy] = support.size;
  if (support.kind === 'bin') {
    const { wallHeight: h, wallThickness: t } = support;
    return [
      { size: [t, sy + 2 * t, h], center: [-(sx + t) / 2, 0, h / 2] },
      { size: [t, sy + 2 * t, h], center: [(sx + t) / 2, 0, h / 2] },
      { size: [sx, t, h], center: [0, -(sy + t) / 2, h / 2] },
      { size: [sx, t, h], center: [0, (sy + t) / 2, h / 2] },
    ];
  }
  const { height: h, thickness: t } = support;
  // Walls reach from the board's underside to the underside of the board above (or to h).
  const wallTop = h + (support.top ? t : 0);
  const wall = wallTop + t;
  const zc = (wallTop - t) / 2;
  const walls: StructureBox[] = [
    { size: [t, sy, wall], center: [-(sx + t) / 2, 0, zc] },
    { size: [t, sy, wall], center: [(sx + t) / 2, 0, zc] },
    { size: [sx + 2 * t, t, wall], center: [0, (sy + t) / 2, zc] },
  ];
  if (support.top) walls.push({ size: [sx, sy, t], center: [0, 0, h + t / 2] });
  return walls;
}

/** The floor or board drawn under z = 0: bin floor under the walls too, shelf board between the side walls. */
export function supportFloor(support: WalledSupport): StructureBox {
  const [sx, sy] = support.size;
  const t = support.kind === 'bin' ? support.wallThickness : support.thickness;
  return support.kind === 'bin'
    ? { size: [sx + 2 * t, sy + 2 * t, t], center: [0, 0, -t / 2] }
    : { size: [sx, sy, t], center: [0, 0, -t / 2] };
}
