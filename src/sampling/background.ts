/**
 * The background randomizer: a frame's background colour and, when the scene file asks for them,
 * a gradient or an image drawn over it. Its draws come from the frame's own 'background' stream,
 * so adding or changing a `background` block moves nothing else of the frame.
 */
import type { Backdrop, FrameDescription } from '../scene/frame.js';
import type { SceneTextures } from '../scene/load.js';
import type { BackgroundSpec } from '../scene/schema.js';
import { sampleColor } from './color.js';
import type { Rng } from './rng.js';

/**
 * In order: the colour (no draw when fixed); with a `gradient` block, whether it fires (p), top,
 * bottom and angle; with an `images` block, whether it fires (p) and which image. Every draw of a
 * block is made whatever its outcome, so the stream of one block never depends on another's.
 * An image wins over a gradient; the colour stays as the fallback under either.
 * @param folders the images of each folder (LoadedScene.textures.folders)
 */
export function sampleBackground(rng: Rng, spec: BackgroundSpec, folders?: SceneTextures['folders']): Pick<FrameDescription, 'background' | 'backdrop'> {
  const background = sampleColor(rng, spec.color);
  let backdrop: Backdrop | undefined;
  if (spec.gradient) {
    const fires = rng.next() < spec.gradient.p;
    const top = sampleColor(rng, spec.gradient.top);
    const bottom = sampleColor(rng, spec.gradient.bottom);
    const angleDeg = rng.range(spec.gradient.angle_deg);
    if (fires) backdrop = { gradient: { top, bottom, angleDeg } };
  }
  if (spec.images) {
    const images = folders?.get(spec.images.folder);
    if (!images?.length) throw new Error(`sampleBackground: no images listed for the background folder "${spec.images.folder}"`);
    const fires = rng.next() < spec.images.p;
    const image = images[Math.min(images.length - 1, Math.floor(rng.next() * images.length))];
    if (fires) backdrop = { image };
  }
  return backdrop ? { background, backdrop } : { background };
}
