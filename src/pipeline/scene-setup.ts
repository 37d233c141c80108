/**
 * Everything a batch needs from the scene file before rendering: the validated spec (resized if
 * asked), the model catalog, and the frame sampler bound to cannon-es. Kept free of the renderer,
 * so benchmarks and tests can sample frames without a browser.
 */
import { loadMeshFile } from '../geometry/mesh-files.js';
import { loadMeshParts } from '../geometry/mesh-parts.js';
import { loadUrdf } from '../robot/urdf.js';
import type { TriMesh } from '../geometry/types.js';
import { settle } from '../physics/settle.js';
import { sampleFrame } from '../sampling/frame.js';
import type { FrameDescription } from '../scene/frame.js';
import { loadScene, type LoadedScene } from '../scene/load.js';
import { buildCatalog, type ModelCatalog } from '../scene/models.js';
import type { SceneSpec } from '../scene/schema.js';

/** Resize the image, scaling the intrinsics with it (pixel centres stay at integer coordinates). */
export function resizeScene(spec: SceneSpec, width?: number, height?: number): SceneSpec {
  if (!width && !height) return spec;
  const W = width ?? spec.image.width, H = height ?? spec.image.height;
  const sx = W / spec.image.width, sy = H / spec.image.height;
  const k = spec.camera.intrinsics;
  return {
    ...spec,
    image: { width: W, height: H },
    camera: { ...spec.camera, intrinsics: { fx: k.fx * sx, fy: k.fy * sy, cx: (k.cx + 0.5) * sx - 0.5, cy: (k.cy + 0.5) * sy - 0.5 } },
  };
}

/** The scene's meshes as the renderer needs them: every model and the support, by key. */
export function rendererMeshes(catalog: ModelCatalog): Map<string, TriMesh> {
  const meshes = new Map<string, TriMesh>();
  for (const model of [...catalog.models, ...catalog.distractors]) {
    if (model.parts) for (const part of model.parts) meshes.set(part.key, part.mesh);
    else meshes.set(model.key, model.mesh);
  }
  meshes.set(catalog.support.key, catalog.support.mesh);
  for (const wall of catalog.support.walls) meshes.set(wall.key, wall.mesh);
  return meshes;
}

/** Every texture a frame may draw (absolute paths), keyed as jobs name them: models' own textures and the texture folders' images. */
export function rendererTextures(catalog: ModelCatalog): Map<string, string> {
  const textures = new Map<string, string>();
  for (const model of [...catalog.models, ...catalog.distractors]) {
    for (const part of model.parts ?? []) if (part.texture !== undefined) textures.set(part.texture, part.texture);
  }
  // The images of the materials' texture folders, each once (keys relative to the scene file).
  for (const [key, file] of catalog.textures.files) textures.set(key, file);
  return textures;
}

export async function prepareScene(scenePath: string, width?: number, height?: number): Promise<{ scene: LoadedScene; spec: SceneSpec; catalog: ModelCatalog }> {
  const scene = loadScene(scenePath);
  const spec = resizeScene(scene.spec, width, height);
  const catalog = await buildCatalog(scene, loadMeshFile, { urdf: loadUrdf, parts: loadMeshParts });
  return { scene, spec, catalog };
}

export function sampleSettledFrame(spec: SceneSpec, catalog: ModelCatalog, seed: number, index: number): FrameDescription {
  return sampleFrame(spec, catalog, seed, index, settle);
}

