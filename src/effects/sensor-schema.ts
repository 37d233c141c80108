/**
 * The `sensor` block of a scene file: camera sensor effects applied to the rendered RGB after
 * rendering (the labels are untouched: none of these effects moves a pixel's content further than
 * a blur kernel). Each effect is its own optional sub-block; an absent sub-block is off, and an
 * absent `sensor` block means no effects at all. A given sub-block fires on a frame with
 * probability `p` and draws its parameters per frame from its ranges.
 *
 * Effects are applied in the order of a camera, whatever the order in the file:
 * exposure -> white balance -> defocus blur -> motion blur (all in linear light) -> shot + read
 * noise (linear light, per channel) -> sRGB 8-bit -> JPEG round trip.
 */
import { z } from 'zod';
import { range } from '../scene/ranges.js';

/** An integer, or [min, max] for a uniform integer draw (as the scene schema's counts). */
const intRange = (min: number, max: number) =>
  z.union([
    z.int().min(min).max(max),
    z.tuple([z.int().min(min).max(max), z.int().min(min).max(max)]).refine(([a, b]) => a <= b, 'expected [min, max] with min <= max'),
  ]).describe('an integer, or [min, max] for a uniform integer draw');

const probability = z.number().min(0).max(1).default(1).describe('probability that the effect is applied to a frame (its parameters are drawn either way, so changing p does not reshuffle them)');

export const exposureSpec = z.strictObject({
  p: probability,
  ev: range(-10, 10).default([-1, 1]).describe('exposure change in stops: linear light is scaled by 2^ev and clips at white (an 8-bit render cannot recover detail in its own clipped highlights)'),
}).describe('over- and under-exposure');

export const whiteBalanceSpec = z.strictObject({
  p: probability,
  temperature_k: range(1667, 25000).default([4500, 9000]).describe('colour temperature (K) of the light as seen by a camera white-balanced for 6500 K: below 6500 the frame turns warm (orange), above it cool (blue); 6500 with duv 0 is neutral. Gains from the Planckian locus in linear sRGB, normalised to keep the luminance of grey'),
  duv: range(-0.05, 0.05).default([-0.005, 0.005]).describe('tint: distance from the Planckian locus in CIE 1960 uv; positive is greener, negative more magenta (fluorescent and LED light: about -0.01 to 0.01)'),
  gains: z.tuple([range(0, 16), range(0, 16), range(0, 16)]).default([1, 1, 1]).describe('extra per-channel gains [r, g, b] in linear light, multiplied on top as given (not normalised): a sensor or ISP channel mismatch'),
}).describe('a colour cast: wrong white balance for the light\'s colour');

export const motionBlurSpec = z.strictObject({
  p: probability,
  length_px: range(0, 500).default([0, 10]).describe('length of the straight streak a point is smeared into (px); below 1 px along the major axis it does nothing'),
  angle_deg: range(-360, 360).default([0, 180]).describe('direction of the streak in the image: 0 along +x (rightwards), 90 along +y (downwards); the blur is symmetric, so angles 180 apart are the same'),
}).describe('linear camera motion during the exposure: a box kernel along a line, anti-aliased');

export const defocusBlurSpec = z.strictObject({
  p: probability,
  radius_px: range(0, 100).default([0, 2]).describe('radius of the circle of confusion (px): a uniform disk kernel, area-weighted at its rim'),
}).describe('an out-of-focus lens');

export const noiseSpec = z.strictObject({
  p: probability,
  gaussian_sigma: range(0, 255).default([0, 1]).describe('read noise: standard deviation in 8-bit levels of linear light (1 = 1/255 of full scale). After the sRGB curve it is about 1.08x this at mid-grey (value 128) and up to 12.9x in the darkest shadows'),
  shot_gain: range(0, 255).default([0.01, 0.06]).describe('photon (shot) noise as the sensor\'s conversion gain in 8-bit levels per electron: the variance in levels^2 is shot_gain x the linear signal in levels (a Poisson count seen through this gain); 255 / shot_gain is the full-well capacity in electrons. 0 turns it off; 0.01 is a clean sensor, 0.1 and above high ISO'),
}).describe('sensor noise, independent per pixel and channel, in linear light: Gaussian with variance gaussian_sigma^2 + shot_gain x signal');

export const jpegSpec = z.strictObject({
  p: probability,
  quality: intRange(1, 100).default([60, 95]).describe('JPEG quality (IJG/libjpeg scaling of the standard quantisation tables): lower means stronger blocking and ringing'),
  subsampling: z.enum(['4:2:0', '4:4:4']).default('4:2:0').describe('chroma subsampling: 4:2:0 (halved colour resolution, what cameras and most encoders write) or 4:4:4'),
}).describe('a JPEG encode and decode (baseline, YCbCr, as libjpeg with its default smooth chroma upsampling)');

export const sensorSpec = z.strictObject({
  exposure: exposureSpec.optional(),
  white_balance: whiteBalanceSpec.optional(),
  defocus_blur: defocusBlurSpec.optional(),
  motion_blur: motionBlurSpec.optional(),
  noise: noiseSpec.optional(),
  jpeg: jpegSpec.optional(),
}).default({}).describe('Camera sensor effects on the rendered RGB (never on depth, masks or labels), applied in this order whatever the order in the file: exposure, white balance, defocus blur, motion blur (in linear light), shot and read noise, then the sRGB 8-bit image goes through a JPEG round trip. A missing sub-block is off; a given one fires per frame with probability p. The parameters drawn for a frame are written to its metadata.');

export type SensorSpec = z.output<typeof sensorSpec>;
export type SensorSpecInput = z.input<typeof sensorSpec>;
