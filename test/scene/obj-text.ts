/** Small OBJ files as text, for tests that write mesh folders. */

/** An axis-aligned box centred on the origin (full extents in the file's unit). */
export function boxObj(sx: number, sy: number, sz: number): string {
  const v: string[] = [];
  for (const z of [-sz / 2, sz / 2]) for (const [x, y] of [[-sx / 2, -sy / 2], [sx / 2, -sy / 2], [sx / 2, sy / 2], [-sx / 2, sy / 2]]) v.push(`v ${x} ${y} ${z}`);
  const faces = ['1 4 3 2', '5 6 7 8', '1 2 6 5', '2 3 7 6', '3 4 8 7', '4 1 5 8'];
  return `${v.join('\n')}\n${faces.map((f) => `f ${f}`).join('\n')}\n`;
}

/** A tetrahedron with its right angle at the origin and edges `s` long along the axes. */
export function tetraObj(s: number): string {
  return `v 0 0 0\nv ${s} 0 0\nv 0 ${s} 0\nv 0 0 ${s}\nf 1 3 2\nf 1 2 4\nf 1 4 3\nf 2 3 4\n`;
}
