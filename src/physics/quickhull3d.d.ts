/**
 * quickhull3d 3.1.2's `dist/index.js` uses extension-less relative imports that plain Node ESM
 * cannot resolve, so we import its self-contained ESM bundle instead, which ships no typings.
 */
declare module 'quickhull3d/dist/quickhull3d.js' {
  /** Faces of the convex hull as indices into `points`, counter-clockwise seen from outside. */
  export default function quickhull(
    points: ArrayLike<number>[],
    options?: { skipTriangulation?: boolean },
  ): number[][];
}
