/**
 * Semantic segmentation: per pixel the category of what is seen there, from the instance pass and
 * the frame description. Category ids are the COCO category ids of the dataset (the scene's object
 * classes 1..N in file order, then one per robot), so one table serves both; 0 is background and
 * unlabeled structure (table, floor, distractors).
 */
import type { FrameDescription } from '../scene/frame.js';

export interface SemanticClass {
  id: number;
  name: string;
  /** 'object' or 'robot', as in COCO's categories. */
  supercategory: 'object' | 'robot';
}

/** The class table: object classes first, then robots, ids from 1 (0 is background). */
export function semanticClasses(classes: readonly string[], robots: readonly string[]): SemanticClass[] {
  return [
    ...classes.map((name, i) => ({ id: i + 1, name, supercategory: 'object' as const })),
    ...robots.map((name, i) => ({ id: classes.length + i + 1, name, supercategory: 'robot' as const })),
  ];
}

/**
 * The semantic image of a frame: category id per pixel (row-major, top-down), from the instance
 * ids of the instance pass. 8-bit when every id fits, else 16-bit.
 */
export function semanticImage(frame: FrameDescription, ids: Uint16Array, classes: readonly string[], robots: readonly string[]): Uint8Array | Uint16Array {
  const byInstance = new Map<number, number>();
  for (const instance of frame.instances) {
    const robot = instance.robot ? robots.indexOf(instance.robot.name) : -1;
    const category = robot >= 0 ? classes.length + robot + 1 : classes.indexOf(instance.className) + 1;
    if (category > 0) byInstance.set(instance.id, category);
  }
  const wide = classes.length + robots.length > 255;
  const out = wide ? new Uint16Array(ids.length) : new Uint8Array(ids.length);
  // Instance ids are small (1-based, one per instance): a lookup table beats a Map per pixel.
  const table = new Uint16Array(0x10000);
  for (const [id, category] of byInstance) table[id] = category;
  for (let p = 0; p < ids.length; p++) out[p] = table[ids[p]];
  return out;
}
