/**
 * Seeded randomness. Every draw of a frame comes from a stream named by (seed, frame, purpose,
 * ...), so a frame depends on nothing but its seed and index, and adding a light does not
 * reshuffle the objects.
 */
import type { Range } from '../scene/schema.js';

/** 32-bit FNV-1a over the parts' text, then murmur3's finalizer for avalanche. */
function hashParts(parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  const text = parts.join('\u0000');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** sfc32: small, fast, and good enough for sampling; 128-bit state from four hashes. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...parts: (string | number)[]) {
    this.a = hashParts([...parts, 'a']);
    this.b = hashParts([...parts, 'b']);
    this.c = hashParts([...parts, 'c']);
    this.d = hashParts([...parts, 'd']) | 1;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** A draw from a scene-file range: a fixed number, or uniform in [min, max]. */
  range(value: Range): number {
    return typeof value === 'number' ? value : this.uniform(value[0], value[1]);
  }

  /** An integer uniform in min..max inclusive (ranges of counts are read that way). */
  int(value: Range): number {
    if (typeof value === 'number') return Math.floor(value);
    const lo = Math.ceil(value[0]);
    const hi = Math.floor(value[1]);
    return Math.min(hi, lo + Math.floor(this.next() * (hi - lo + 1)));
  }

  /** A rotation uniform over SO(3) (Shoemake), as a quaternion [x, y, z, w]. */
  quaternion(): [number, number, number, number] {
    const u1 = this.next(), u2 = this.next(), u3 = this.next();
    const s1 = Math.sqrt(1 - u1), s2 = Math.sqrt(u1);
    return [s1 * Math.sin(2 * Math.PI * u2), s1 * Math.cos(2 * Math.PI * u2), s2 * Math.sin(2 * Math.PI * u3), s2 * Math.cos(2 * Math.PI * u3)];
  }
}
