/** Colours from the scene file's colour specs: a fixed linear RGB, or a draw in HSV. */
import type { RGB } from '../scene/frame.js';
import type { ColorSpec } from '../scene/schema.js';
import type { Rng } from './rng.js';

function hsvToRgb(h: number, s: number, v: number): RGB {
  const f = (n: number) => {
    const k = (n + h / 60) % 6;
    return v - v * s * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5), f(3), f(1)];
}

/** A fixed colour draws nothing from `rng`; a mapping draws hue, saturation and value, in that order. */
export function sampleColor(rng: Rng, spec: ColorSpec): RGB {
  if (Array.isArray(spec)) return [...spec] as RGB;
  return hsvToRgb(rng.range(spec.hue_deg) % 360, rng.range(spec.saturation), rng.range(spec.value));
}
