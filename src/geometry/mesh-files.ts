/**
 * Loads mesh files (OBJ, STL, PLY, glTF/GLB, Collada) into one merged TriMesh in model coordinates:
 * metres, Z up, counter-clockwise front faces, unit normals (see types.ts). The readers are in
 * mesh-parts.ts, which also gives the parts of a file one per material, with their colours.
 */
import { loadMeshParts, type MeshLoadOptions, type MeshPart } from './mesh-parts.js';
import { mergeMeshes } from './mesh-ops.js';
import type { TriMesh } from './types.js';

export type { MeshLoadOptions } from './mesh-parts.js';

/**
 * Reads an OBJ, STL (ASCII or binary), PLY (ASCII or binary), glTF/GLB or Collada file as one triangle mesh, converted
 * to metres and Z up and scaled by `options.scale`: the parts of loadMeshParts (mesh-parts.ts),
 * merged. Normals: the file's own where it has them (rotated with the mesh), else area-weighted
 * smooth normals; STL is flat-shaded (no vertex shared by two faces), and so are glTF primitives
 * without normals (as the glTF spec requires). The returned arrays are the caller's.
 * Every problem with the file or the options is a UserError naming the file.
 */
export async function loadMeshFile(path: string, options: MeshLoadOptions): Promise<TriMesh> {
  return mergeParts(await loadMeshParts(path, options));
}

/** A file's parts as one mesh (the part itself when there is one). */
export function mergeParts(parts: readonly MeshPart[]): TriMesh {
  return parts.length === 1 ? parts[0].mesh : mergeMeshes(parts.map((p) => p.mesh));
}
