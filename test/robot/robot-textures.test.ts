// Robot links draw textures as object models do: a URDF <material><texture> wins over the mesh's
// own map_Kd (as URDF colours win over mesh colours), a mesh's own texture is the fallback, and
// either reaches the renderer's texture list. A mesh without UVs draws untextured.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareScene, rendererTextures } from '../../src/pipeline/scene-setup.js';

let dir = '';
const png = () => PNG.sync.write(Object.assign(new PNG({ width: 2, height: 2 }), { data: Buffer.alloc(16, 200) }));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'robosynth-robot-textures-'));
  writeFileSync(join(dir, 'painted.png'), png());
  writeFileSync(join(dir, 'decal.png'), png());
  // A quad with UVs and a textured material, and the same quad without UVs.
  writeFileSync(join(dir, 'panel.mtl'), 'newmtl decal\nKd 1 1 1\nmap_Kd decal.png\n');
  const quad = 'v 0 0 0\nv 0.1 0 0\nv 0.1 0.1 0\nv 0 0.1 0\n';
  writeFileSync(join(dir, 'panel.obj'), `mtllib panel.mtl\n${quad}vt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\nusemtl decal\nf 1/1 2/2 3/3 4/4\n`);
  writeFileSync(join(dir, 'bare.obj'), `mtllib panel.mtl\n${quad}usemtl decal\nf 1 2 3 4\n`);
  const link = (name: string, geometry: string, material = '') => `<link name="${name}"><visual><geometry>${geometry}</geometry>${material}</visual>
    <collision><geometry><box size="0.1 0.1 0.1"/></geometry></collision><inertial><mass value="1"/><inertia ixx="1" iyy="1" izz="1" ixy="0" ixz="0" iyz="0"/></inertial></link>`;
  const fixed = (parent: string, child: string) => `<joint name="${parent}_${child}" type="fixed"><parent link="${parent}"/><child link="${child}"/><origin xyz="0 0 0.1"/></joint>`;
  writeFileSync(join(dir, 'arm.urdf'), `<robot name="arm">
    ${link('base', '<box size="0.1 0.1 0.1"/>', '<material name="paint"><texture filename="painted.png"/></material>')}
    ${link('panel', '<mesh filename="panel.obj"/>')}
    ${link('override', '<mesh filename="panel.obj"/>', '<material name="paint"/>')}
    ${link('bare', '<mesh filename="bare.obj"/>')}
    ${fixed('base', 'panel')}${fixed('panel', 'override')}${fixed('override', 'bare')}
  </robot>`);
  writeFileSync(join(dir, 'scene.yaml'), `image: { width: 64, height: 48 }
camera: { intrinsics: { fx: 60, fy: 60, cx: 31.5, cy: 23.5 }, pose: { target: [0, 0, 0], distance: 1, elevation_deg: 45, azimuth_deg: 0 } }
lights: [{ type: hemispheric, intensity: 1 }]
support: { type: table, size: [1, 1] }
objects: [{ class: cube, box: { size: [0.05, 0.05, 0.05] }, count: 1 }]
placement: { region: { x: [0.2, 0.3], y: [0.2, 0.3] } }
robots:
  - name: arm
    urdf: arm.urdf
    base: { position: [0, 0, 0] }
`);
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe('robot link textures', () => {
  it('take the URDF texture, else the mesh\'s own, and only where the mesh has UVs', async () => {
    const { catalog } = await prepareScene(join(dir, 'scene.yaml'));
    const textureOf = (link: string) => catalog.models.find((m) => m.key === `arm.${link}`)!.parts!.map((p) => p.texture);
    expect(textureOf('base')).toEqual([join(dir, 'painted.png')]); // a URDF box has UVs
    expect(textureOf('panel')).toEqual([join(dir, 'decal.png')]);
    expect(textureOf('override')).toEqual([join(dir, 'painted.png')]);
    expect(textureOf('bare')).toEqual([undefined]);
    const textures = rendererTextures(catalog);
    expect(textures.get(join(dir, 'painted.png'))).toBe(join(dir, 'painted.png'));
    expect(textures.get(join(dir, 'decal.png'))).toBe(join(dir, 'decal.png'));
  });
});
