/**
 * The committed tiny models (test/fixtures/refiner/README.md says how they were made): a trained
 * pixel UNet and a random-weight latent diffusion folder in the Stable Diffusion export layout.
 */
import { fileURLToPath } from 'node:url';

export const PIXEL_TINY = fileURLToPath(new URL('../fixtures/refiner/pixel-tiny', import.meta.url));
export const LATENT_TINY = fileURLToPath(new URL('../fixtures/refiner/latent-tiny', import.meta.url));
