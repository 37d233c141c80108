/**
 * Colour helpers of the sensor effects: the sRGB transfer function as lookup tables, and white
 * balance gains from a colour temperature and tint.
 *
 * The renders are sRGB-encoded 8-bit (Babylon writes the colour pass through the sRGB curve), so
 * physical effects (exposure, colour casts, optical blur, photon noise) are computed on linear
 * light decoded with the sRGB transfer function, and the result is encoded back.
 */

/** The sRGB decoding curve (IEC 61966-2-1) for a value in [0, 1]. */
export function srgbToLinear(v: number): number {
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

/** The sRGB encoding curve for linear light in [0, 1]. */
export function linearToSrgb(l: number): number {
  return l <= 0.0031308 ? l * 12.92 : 1.055 * l ** (1 / 2.4) - 0.055;
}

/** 8-bit sRGB value -> linear light in [0, 1]. */
export const SRGB_TO_LINEAR = (() => {
  const lut = new Float32Array(256);
  for (let i = 0; i < 256; i++) lut[i] = srgbToLinear(i / 255);
  return lut;
})();

/** Size - 1 of the encoding table: linear light is looked up at steps of 1/ENCODE_STEPS. */
export const ENCODE_STEPS = 65535;

/**
 * Linear light at steps of 1/65535 -> 8-bit sRGB, rounded. Near black the curve's slope is 12.92,
 * so a step moves the output by at most 0.05 of a level: the table is exact for the 256 decoded
 * values (they round-trip) and differs from the exact curve only at rounding ties.
 */
export const LINEAR_TO_SRGB8 = (() => {
  const lut = new Uint8Array(ENCODE_STEPS + 1);
  for (let i = 0; i <= ENCODE_STEPS; i++) lut[i] = Math.round(255 * linearToSrgb(i / ENCODE_STEPS));
  return lut;
})();

// ---- White balance ---------------------------------------------------------------------------

/** Chromaticity xy of a Planckian (black-body) light, Kang et al. 2002, valid 1667..25000 K. */
export function planckianXy(kelvin: number): [number, number] {
  const t = Math.min(25000, Math.max(1667, kelvin));
  const t1 = 1e3 / t, t2 = t1 * t1, t3 = t2 * t1;
  const x = t <= 4000
    ? -0.2661239 * t3 - 0.2343589 * t2 + 0.8776956 * t1 + 0.17991
    : -3.0258469 * t3 + 2.1070379 * t2 + 0.2226347 * t1 + 0.24039;
  const x2 = x * x, x3 = x2 * x;
  const y = t <= 2222
    ? -1.1063814 * x3 - 1.3481102 * x2 + 2.18555832 * x - 0.20219683
    : t <= 4000
      ? -0.9549476 * x3 - 1.37418593 * x2 + 2.09137015 * x - 0.16748867
      : 3.081758 * x3 - 5.8733867 * x2 + 3.75112997 * x - 0.37001483;
  return [x, y];
}

const xyToUv = (x: number, y: number): [number, number] => {
  const d = -2 * x + 12 * y + 3;
  return [(4 * x) / d, (6 * y) / d];
};

const uvToXy = (u: number, v: number): [number, number] => {
  const d = 2 * u - 8 * v + 4;
  return [(3 * u) / d, (2 * v) / d];
};

/** Chromaticity of a light `duv` away from the Planckian locus at `kelvin` (CIE 1960 uv; positive is greener). */
export function illuminantXy(kelvin: number, duv: number): [number, number] {
  const [u, v] = xyToUv(...planckianXy(kelvin));
  if (duv === 0) return uvToXy(u, v);
  // The locus's tangent by a central difference; its normal pointing to +v (above the locus, green).
  const [u1, v1] = xyToUv(...planckianXy(kelvin - 5));
  const [u2, v2] = xyToUv(...planckianXy(kelvin + 5));
  let nu = -(v2 - v1), nv = u2 - u1;
  if (nv < 0) { nu = -nu; nv = -nv; }
  const len = Math.hypot(nu, nv);
  return uvToXy(u + (duv * nu) / len, v + (duv * nv) / len);
}

/** Linear sRGB (D65) of a chromaticity at luminance Y = 1. */
function xyToLinearRgb([x, y]: [number, number]): [number, number, number] {
  const X = x / y, Y = 1, Z = (1 - x - y) / y;
  return [
    3.2404542 * X - 1.5371385 * Y - 0.4985314 * Z,
    -0.969266 * X + 1.8760108 * Y + 0.041556 * Z,
    0.0556434 * X - 0.2040259 * Y + 1.0572252 * Z,
  ];
}

/** The white balance reference: a camera balanced for a 6500 K Planckian light. */
export const REFERENCE_KELVIN = 6500;

/**
 * Per-channel linear gains [r, g, b] that turn a frame white-balanced for 6500 K into one lit by a
 * light of `kelvin` and tint `duv` (a von Kries scaling in linear sRGB), normalised so that grey
 * keeps its luminance (Rec. 709 weights): only the colour changes, exposure is its own effect.
 */
export function whiteBalanceGains(kelvin: number, duv: number): [number, number, number] {
  const light = xyToLinearRgb(illuminantXy(kelvin, duv));
  const ref = xyToLinearRgb(illuminantXy(REFERENCE_KELVIN, 0));
  const g = [light[0] / ref[0], light[1] / ref[1], light[2] / ref[2]].map((c) => Math.max(0, c));
  const luminance = 0.2126 * g[0] + 0.7152 * g[1] + 0.0722 * g[2];
  return [g[0] / luminance, g[1] / luminance, g[2] / luminance];
}
