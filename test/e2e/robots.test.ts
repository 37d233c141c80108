/**
 * Real robot descriptions (UR5 and Franka Panda from ../shared/fixtures/example-robot-data, read
 * in place) rendered by the CLI in headless Chromium, and checked from the written dataset alone
 * with the format-only readers: every link is a BOP object whose model, rasterized with its pose,
 * matches its rendered mask; keypoints project where they say and visible ones land on the robot.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BopDataset, readJson, readMask } from '../readers/bop.js';
import { decodeRle, type CocoRle } from '../readers/coco-rle.js';
import { parsePly } from '../readers/ply.js';
import { intrinsicsFromK, iou, project, rasterize, transformPoints } from '../readers/raster.js';

const root = new URL('../..', import.meta.url).pathname;
const fixtures = new URL('../../../shared/fixtures/example-robot-data', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'robosynth-robots-'));

interface RobotEntry {
  name: string;
  joints: Record<string, number>;
  links: { link: string; obj_id: number; gt_index: number }[];
  keypoints: { name: string; xyz_cam: number[]; uv: number[]; visibility: 0 | 1 | 2 }[];
  px_count_visib: number;
}

const robots = {
  ur5: {
    urdf: join(fixtures, 'robots/ur_description/urdf/ur5_robot.urdf'),
    movable: 6,
    joints: `
    joints:
      sample: around
      configuration: { shoulder_lift_joint: -1.2, elbow_joint: 1.4, wrist_1_joint: -1.6 }
      fraction: 0.3`,
  },
  panda: {
    urdf: join(fixtures, 'robots/panda_description/urdf/panda.urdf'),
    movable: 9,
    joints: `
    joints:
      sample: around
      configuration: ready
      configurations: { ready: { panda_joint2: -0.785, panda_joint4: -2.356, panda_joint6: 1.571, panda_joint7: 0.785, panda_finger_joint1: 0.03 } }
      fraction: 0.3
    end_effector: panda_hand_tcp`,
  },
} as const;

function sceneText(name: keyof typeof robots): string {
  const r = robots[name];
  return `
image: { width: 320, height: 240 }
camera:
  intrinsics: { fx: 260, fy: 260, cx: 159.5, cy: 119.5 }
  pose: { target: [0, 0, 0.35], distance: [1.7, 1.9], elevation_deg: [15, 35], azimuth_deg: [0, 360] }
lights: [ { type: directional, intensity: 2.5 }, { type: hemispheric } ]
support: { type: table, size: [1.4, 1.0] }
objects:
  - { class: cube, box: { size: [0.05, 0.05, 0.05] }, count: 2 }
placement: { region: { x: [0.3, 0.5], y: [-0.3, 0.3] } }
robots:
  - name: ${name}
    urdf: ${JSON.stringify(r.urdf)}
    packages: { example-robot-data: ${JSON.stringify(fixtures)} }
${r.joints}
`;
}

const haveFixtures = existsSync(fixtures);

/** COCO with keypoint categories, as person keypoints are written. */
interface KeypointCoco {
  categories: { id: number; name: string; keypoints?: string[]; skeleton?: number[][] }[];
  annotations: { category_id: number; keypoints?: number[]; num_keypoints?: number; segmentation: CocoRle; area: number }[];
}

beforeAll(() => {
  execFileSync('node', ['scripts/build.mjs'], { cwd: root });
  if (!haveFixtures) return;
  for (const name of Object.keys(robots) as (keyof typeof robots)[]) {
    writeFileSync(join(work, `${name}.yaml`), sceneText(name));
    execFileSync('node', ['bin/robosynth.js', 'render', join(work, `${name}.yaml`), '--frames', '3', '--out', join(work, name), '--seed', '4'], { cwd: root, stdio: 'pipe' });
  }
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!haveFixtures).each(Object.keys(robots) as (keyof typeof robots)[])('%s rendered from its URDF', (name) => {
  const dir = () => join(work, name);

  it('labels every link as a BOP object whose model matches its rendered mask', () => {
    const ds = new BopDataset(dir());
    const camera = ds.sceneCamera(0);
    const gtInfo = ds.sceneGtInfo(0);
    const robotsByIm = readJson<Record<string, RobotEntry[]>>(join(ds.sceneDir(0), 'scene_robot.json'));
    let compared = 0;
    for (const [im, gts] of ds.sceneGt(0)) {
      const K = intrinsicsFromK(camera.get(im)!.cam_K);
      const robot = robotsByIm[String(im)][0];
      expect(robot.name).toBe(name);
      expect(robot.links.length).toBeGreaterThan(5);
      for (const link of robot.links) {
        const gt = gts[link.gt_index];
        expect(gt.obj_id).toBe(link.obj_id);
        const info = gtInfo.get(im)![link.gt_index];
        if (info.visib_fract < 0.97 || info.px_count_visib < 150) continue;
        const ply = parsePly(readFileSync(ds.modelPath(gt.obj_id)));
        const cam = transformPoints(ply.vertices, gt.cam_R_m2c, gt.cam_t_m2c);
        const raster = rasterize(cam, ply.faces, K, 320, 240);
        const visible = readMask(ds.maskVisibPath(0, im, link.gt_index)).mask;
        expect(iou(raster.mask, visible), `${name} frame ${im} ${link.link}`).toBeGreaterThan(0.95);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(3);
  });

  it('writes keypoints at the joints and the end effector, visible ones on the robot', () => {
    const ds = new BopDataset(dir());
    const camera = ds.sceneCamera(0);
    const robotsByIm = readJson<Record<string, RobotEntry[]>>(join(ds.sceneDir(0), 'scene_robot.json'));
    let visible = 0;
    for (const [im, gts] of ds.sceneGt(0)) {
      const K = intrinsicsFromK(camera.get(im)!.cam_K);
      const robot = robotsByIm[String(im)][0];
      expect(robot.keypoints).toHaveLength(robots[name].movable + 1);
      expect(robot.keypoints.at(-1)!.name).toBe('end_effector');
      // The whole robot: the union of its links' visible masks.
      const union = new Uint8Array(320 * 240);
      for (const link of robot.links) {
        const m = readMask(ds.maskVisibPath(0, im, link.gt_index)).mask;
        for (let i = 0; i < m.length; i++) if (m[i]) union[i] = 1;
      }
      expect(union.reduce((a, b) => a + b, 0)).toBe(robot.px_count_visib);
      for (const k of robot.keypoints) {
        const [u, v] = project(k.xyz_cam, K);
        expect(Math.abs(u - k.uv[0])).toBeLessThan(1e-3);
        expect(Math.abs(v - k.uv[1])).toBeLessThan(1e-3);
        const inside = u > -0.5 && v > -0.5 && u < 319.5 && v < 239.5 && k.xyz_cam[2] > 0;
        expect(k.visibility > 0).toBe(inside);
        if (k.visibility === 2) {
          expect(union[Math.round(v) * 320 + Math.round(u)], `${k.name} in frame ${im}`).toBe(1);
          visible++;
        }
        if (k.visibility === 1) expect(union[Math.round(v) * 320 + Math.round(u)]).toBe(0);
      }
      expect(gts.length).toBe(2 + robot.links.length);
    }
    expect(visible).toBeGreaterThan(5);
  });

  it('puts the robot in COCO as a keypoint category with its skeleton', () => {
    const coco = readJson<KeypointCoco>(join(dir(), 'coco_annotations.json'));
    const category = coco.categories.find((c) => c.name === name)!;
    expect(category.keypoints).toHaveLength(robots[name].movable + 1);
    expect(category.skeleton!.length).toBeGreaterThanOrEqual(robots[name].movable);
    for (const [a, b] of category.skeleton!) {
      expect(a).toBeGreaterThanOrEqual(1);
      expect(b).toBeLessThanOrEqual(category.keypoints!.length);
    }
    const annotations = coco.annotations.filter((a) => a.category_id === category.id);
    expect(annotations).toHaveLength(3);
    for (const a of annotations) {
      expect(a.keypoints).toHaveLength(3 * category.keypoints!.length);
      expect(a.num_keypoints).toBe(a.keypoints!.filter((_, i) => i % 3 === 2).filter((v) => v > 0).length);
      expect(decodeRle(a.segmentation).reduce((s, x) => s + x, 0)).toBe(a.area);
    }
    // The cubes keep their own category; links are not COCO objects.
    expect(coco.categories.map((c) => c.name)).toEqual(['cube', name]);
  });
});

describe('the shipped robot cell', () => {
  it('renders the project\'s own arm with its links, keypoints and gripper', () => {
    const out = join(work, 'robot-cell');
    execFileSync('node', ['bin/robosynth.js', 'render', 'scenes/robot-cell.yaml', '--frames', '2', '--out', out, '--width', '320', '--height', '240'], { cwd: root, stdio: 'pipe' });
    const ds = new BopDataset(out);
    const robotsByIm = readJson<Record<string, RobotEntry[]>>(join(ds.sceneDir(0), 'scene_robot.json'));
    for (const [im, gts] of ds.sceneGt(0)) {
      const robot = robotsByIm[String(im)][0];
      expect(robot.links.map((l) => l.link)).toEqual([
        'base_link', 'shoulder_link', 'upper_arm_link', 'forearm_link', 'wrist_1_link', 'wrist_2_link', 'wrist_3_link',
        'flange', 'hand', 'left_finger', 'right_finger',
      ]);
      // The right finger mimics the left, and the scene overrides the gripper's range.
      expect(robot.joints.right_finger_joint).toBe(robot.joints.left_finger_joint);
      expect(robot.joints.left_finger_joint).toBeGreaterThanOrEqual(0);
      expect(robot.joints.left_finger_joint).toBeLessThanOrEqual(0.04);
      expect(robot.keypoints.map((k) => k.name)).toEqual([
        'shoulder_pan_joint', 'shoulder_lift_joint', 'elbow_joint', 'wrist_1_joint', 'wrist_2_joint', 'wrist_3_joint',
        'left_finger_joint', 'right_finger_joint', 'end_effector',
      ]);
      expect(robot.px_count_visib).toBeGreaterThan(1000);
      for (const link of robot.links) expect(gts[link.gt_index].obj_id).toBe(link.obj_id);
    }
  }, 120_000);
});
