/**
 * `npm run bench:physics`: one JSON line with the cost of settle() on 10 mixed bodies (boxes,
 * cylinders, spheres of 4–12 cm, 0.1–0.5 kg) dropped 5–30 cm onto a 1.2 × 0.8 m table, at the
 * two time steps the scene format offers by default and as the high-accuracy option.
 */
import { settle, type SettleSettings } from '../src/physics/settle.js';
import { BENCH_SETTINGS, randomScene } from '../test/physics/scenes.js';

function measure(settings: SettleSettings, scenes: number) {
  for (let s = 0; s < 3; s++) settle(randomScene(1000 + s, 10, settings)); // warm up the JIT
  const ms: number[] = [];
  let steps = 0, ok = 0;
  for (let seed = 1; seed <= scenes; seed++) {
    const input = randomScene(seed, 10, settings);
    const t0 = performance.now();
    const r = settle(input);
    ms.push(performance.now() - t0);
    steps += r.steps;
    if (!r.problem) ok++;
  }
  ms.sort((a, b) => a - b);
  return {
    mean_ms: Number((ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(2)),
    median_ms: Number(ms[Math.floor(ms.length / 2)].toFixed(2)),
    mean_steps: Math.round(steps / scenes),
    share_without_problem: Number((ok / scenes).toFixed(3)),
  };
}

console.log(JSON.stringify({
  bench: 'physics',
  bodies: 10,
  scenes: 40,
  step_1_240: measure(BENCH_SETTINGS, 40),
  step_1_120: measure({ ...BENCH_SETTINGS, timeStep: 1 / 120, maxSteps: 300 }, 40),
}));
