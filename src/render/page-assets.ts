/**
 * What the page needs from Node, for the batch renderer (driver.ts) and the live preview
 * (src/preview/): its script, the meshes in the page's binary layout, and the texture images read
 * once, with the HTTP routes that serve them on loopback.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname } from 'node:path';
import { bundle } from '../bundle.js';
import type { TriMesh } from '../geometry/types.js';
import { encodeMeshAsset, type PageInit } from './protocol.js';

/** What a texture that cannot be loaded becomes, as the warnings say. */
export const WITHOUT_TEXTURE = 'drawn untextured (a background image: the background colour)';

const TEXTURE_TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg' };

export interface PageAssets {
  script: string;
  meshes: Map<string, Buffer>;
  /** Texture bytes by URL name (index and extension). */
  textures: Map<string, { type: string; bytes: Buffer }>;
  /** Each readable texture's key and its path under the server. */
  textureRoutes: { key: string; path: string }[];
  /** Texture files by key, for warnings about undecodable images. */
  textureFiles: Map<string, string>;
}

/** Reads every texture once; one that is not a PNG/JPEG or cannot be read is a warning and left out. */
export async function loadPageAssets(meshes: ReadonlyMap<string, TriMesh>, textureFiles: ReadonlyMap<string, string> | undefined, warn: (message: string) => void): Promise<PageAssets> {
  const assets: PageAssets = { script: await bundle('render/page/page.ts'), meshes: new Map(), textures: new Map(), textureRoutes: [], textureFiles: new Map() };
  for (const [key, mesh] of meshes) assets.meshes.set(key, encodeMeshAsset(mesh.positions, mesh.normals, mesh.indices, mesh.uvs));
  for (const [key, file] of textureFiles ?? []) {
    const ext = extname(file).toLowerCase();
    const type = TEXTURE_TYPES[ext];
    if (!type) { warn(`texture "${file}": not a PNG or JPEG file; ${WITHOUT_TEXTURE}`); continue; }
    const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
      warn(`texture "${file}": cannot read it (${error.code ?? String(error)}); ${WITHOUT_TEXTURE}`);
      return undefined;
    });
    if (!bytes) continue;
    const name = `${assets.textures.size}${ext}`;
    assets.textures.set(name, { type, bytes });
    assets.textureFiles.set(key, file);
    assets.textureRoutes.push({ key, path: `/texture/${name}` });
  }
  return assets;
}

/** The page's init message, with asset URLs under `baseUrl`. */
export function pageInit(assets: PageAssets, baseUrl: string, settings: Pick<PageInit, 'width' | 'height' | 'samples' | 'shadowMapSize'>): PageInit {
  return {
    ...settings,
    meshes: [...assets.meshes.keys()].map((key) => ({ key, url: `${baseUrl}/mesh/${encodeURIComponent(key)}` })),
    textures: assets.textureRoutes.map(({ key, path }) => ({ key, url: `${baseUrl}${path}` })),
  };
}

export function send(response: ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(body);
}

/** Serves /page.js, /mesh/KEY and /texture/NAME; false when the request is for none of them. */
export function servePageAssets(assets: PageAssets, request: IncomingMessage, response: ServerResponse): boolean {
  const url = request.url ?? '/';
  if (request.method !== 'GET') return false;
  if (url === '/page.js') {
    send(response, 200, 'text/javascript', assets.script);
    return true;
  }
  if (url.startsWith('/mesh/')) {
    const mesh = assets.meshes.get(decodeURIComponent(url.slice('/mesh/'.length)));
    if (mesh) send(response, 200, 'application/octet-stream', mesh);
    else send(response, 404, 'text/plain', 'no such mesh');
    return true;
  }
  if (url.startsWith('/texture/')) {
    const texture = assets.textures.get(url.slice('/texture/'.length));
    if (texture) send(response, 200, texture.type, texture.bytes);
    else send(response, 404, 'text/plain', 'no such texture');
    return true;
  }
  return false;
}
