/**
 * `npm run bench:robot`: one JSON line comparing what a frame of the default scene costs with and
 * without a robot among its objects (the project's own arm, placed at the table's edge): CPU time
 * of Node and Chromium per frame, and the end-to-end rate, in alternating rounds compared by
 * medians. With the shared test fixtures present it also measures the UR5 and the Panda.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renderDataset } from '../src/pipeline/render-dataset.js';
import { median } from './bench-rounds.js';
import { processTreeCpuSeconds } from './cpu-time.js';

const frames = Number(process.env.BENCH_FRAMES ?? 40);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const warmup = 5;
const work = mkdtempSync(join(tmpdir(), 'robosynth-bench-robot-'));
const base = readFileSync('scenes/tabletop.yaml', 'utf8').replace('../assets/meshes/bracket.obj', resolve('assets/meshes/bracket.obj'));
const fixtures = resolve('../shared/fixtures/example-robot-data');

const robotBlock = (name: string, urdf: string, packages: string, joints: string) => `
robots:
  - name: ${name}
    urdf: ${JSON.stringify(urdf)}
    packages: ${packages}
    base: { position: [-0.5, 0, 0], yaw_deg: 0 }
${joints}
`;

const scenes: Record<string, string> = {
  without_robot: base,
  with_robosynth_arm: base + robotBlock('arm', resolve('assets/robots/robosynth_arm/robosynth_arm.urdf'),
    `{ robosynth_arm: ${JSON.stringify(resolve('assets/robots/robosynth_arm'))} }`,
    '    joints: { sample: around, configuration: { shoulder_lift_joint: -0.785, elbow_joint: 2.356, wrist_2_joint: -1.571, left_finger_joint: 0.02 }, fraction: 0.3 }'),
};
if (existsSync(fixtures)) {
  scenes.with_ur5 = base + robotBlock('ur5', join(fixtures, 'robots/ur_description/urdf/ur5_robot.urdf'), `{ example-robot-data: ${JSON.stringify(fixtures)} }`,
    '    joints: { sample: around, configuration: { shoulder_lift_joint: -1.2, elbow_joint: 1.4, wrist_1_joint: -1.6 }, fraction: 0.3 }');
  scenes.with_panda = base + robotBlock('panda', join(fixtures, 'robots/panda_description/urdf/panda.urdf'), `{ example-robot-data: ${JSON.stringify(fixtures)} }`,
    '    joints: { sample: around, configuration: { panda_joint2: -0.785, panda_joint4: -2.356, panda_joint6: 1.571, panda_joint7: 0.785 }, fraction: 0.3 }');
}
for (const [name, text] of Object.entries(scenes)) writeFileSync(join(work, `${name}.yaml`), text);

/** One round: frames/s, and CPU milliseconds per frame of Node and Chromium together. */
async function round(name: string): Promise<{ fps: number; cpuMs: number }> {
  let warmDoneAt = 0, lastAt = 0, cpuAtWarm = 0, cpuAtLast = 0;
  await renderDataset({
    scene: join(work, `${name}.yaml`), out: join(work, `out-${name}`), frames: warmup + frames, seed: 1,
    onFrame: (done) => {
      if (done === warmup) { warmDoneAt = performance.now(); cpuAtWarm = processTreeCpuSeconds(); }
      if (done === warmup + frames) { lastAt = performance.now(); cpuAtLast = processTreeCpuSeconds(); }
    },
  });
  rmSync(join(work, `out-${name}`), { recursive: true, force: true });
  return { fps: frames / ((lastAt - warmDoneAt) / 1000), cpuMs: ((cpuAtLast - cpuAtWarm) * 1000) / frames };
}

const results: Record<string, { fps: number; cpuMs: number }[]> = Object.fromEntries(Object.keys(scenes).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) for (const name of Object.keys(scenes)) results[name].push(await round(name));
rmSync(work, { recursive: true, force: true });
const per = (pick: (x: { fps: number; cpuMs: number }) => number) =>
  Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Number(median(v.map(pick)).toFixed(2))]));
const fps = per((x) => x.fps);
const cpu = per((x) => x.cpuMs);
const others = Object.keys(scenes).filter((k) => k !== 'without_robot');
console.log(JSON.stringify({
  bench: 'robot',
  frames_per_round: frames,
  rounds,
  // The cost of a frame: CPU time of Node and Chromium together (robust to other load), and wall time.
  cpu_ms_per_frame: cpu,
  frame_cost_vs_without_robot: Object.fromEntries(others.map((k) => [k, Number((cpu[k] / cpu.without_robot).toFixed(3))])),
  end_to_end_fps: fps,
  wall_time_cost_vs_without_robot: Object.fromEntries(others.map((k) => [k, Number((fps.without_robot / fps[k]).toFixed(3))])),
  per_round: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.map((x) => ({ fps: Number(x.fps.toFixed(2)), cpu_ms: Number(x.cpuMs.toFixed(1)) }))])),
  cpus: cpus().length,
}));
