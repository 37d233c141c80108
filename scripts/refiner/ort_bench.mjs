// Runs ONNX models with onnxruntime-node, the runtime the TypeScript refiner uses.
// Called by scripts/refiner/train.py; usable by hand too.
//
//   node scripts/refiner/ort_bench.mjs MODEL.onnx [--sizes 64,128,480x640] [--batch 1] [--runs 10] [--threads N]
//     Times forward passes. Every input is fed by name: `sample` / `latent_sample` [B,C,H,W]
//     (C read from the model, H,W from --sizes; a latent UNet's H,W are latent sizes),
//     `timestep` [B] (float32 or int64, whichever the model declares), `encoder_hidden_states`
//     [B,77,C]. Prints one JSON line: {runtime, version, inputs, outputs, results:[{h,w,batch,median_ms,min_ms}]}.
//
//   node scripts/refiner/ort_bench.mjs MODEL.onnx --feeds FEEDS.json --dump OUT.json
//     Runs once on given inputs ({name: {type, dims, data}}) and writes every output as
//     {name: {type, dims, data}} to OUT.json (used for the torch-vs-ONNX parity check).
import fs from 'node:fs';
import ort from 'onnxruntime-node';

const args = process.argv.slice(2);
const modelPath = args[0];
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const threads = Number(opt('--threads', '0'));
const sessionOptions = { graphOptimizationLevel: 'all', executionMode: 'sequential' };
if (threads > 0) sessionOptions.intraOpNumThreads = threads;
const session = await ort.InferenceSession.create(modelPath, sessionOptions);
const meta = {};
session.inputNames.forEach((name, i) => {
  meta[name] = session.inputMetadata ? session.inputMetadata[i] : undefined;
});
const version = ort.env && ort.env.versions ? ort.env.versions.common : null;

function tensorFromJson(t) {
  if (t.type === 'int64') return new ort.Tensor('int64', BigInt64Array.from(t.data.map((v) => BigInt(Math.round(v)))), t.dims);
  return new ort.Tensor('float32', Float32Array.from(t.data), t.dims);
}

if (opt('--feeds', null)) {
  const raw = JSON.parse(fs.readFileSync(opt('--feeds'), 'utf8'));
  const feeds = {};
  for (const [name, t] of Object.entries(raw)) feeds[name] = tensorFromJson(t);
  const out = await session.run(feeds);
  const dump = {};
  for (const [name, t] of Object.entries(out)) {
    dump[name] = { type: t.type, dims: t.dims, data: Array.from(t.data, Number) };
  }
  fs.writeFileSync(opt('--dump'), JSON.stringify(dump));
  console.log(JSON.stringify({ runtime: 'onnxruntime-node', version, inputs: session.inputNames, outputs: session.outputNames }));
} else {
  const sizes = opt('--sizes', '64,128').split(',').map((s) => {
    const [a, b] = s.split('x').map(Number);
    return b === undefined ? { h: a, w: a } : { h: a, w: b };
  });
  const batch = Number(opt('--batch', '1'));
  const runs = Number(opt('--runs', '10'));
  const dims = (name) => (meta[name] && meta[name].shape) || [];
  const isInt64 = (name) => Boolean(meta[name] && meta[name].type === 'int64');
  const results = [];
  for (const { h, w } of sizes) {
    const feeds = {};
    for (const name of session.inputNames) {
      if (name === 'sample' || name === 'latent_sample') {
        const c = Number(dims(name)[1]) || 3;
        const data = new Float32Array(batch * c * h * w);
        for (let i = 0; i < data.length; i++) data[i] = Math.random() * 2 - 1;
        feeds[name] = new ort.Tensor('float32', data, [batch, c, h, w]);
      } else if (name === 'timestep') {
        feeds[name] = isInt64(name)
          ? new ort.Tensor('int64', BigInt64Array.from({ length: batch }, () => 300n), [batch])
          : new ort.Tensor('float32', Float32Array.from({ length: batch }, () => 300), [batch]);
      } else if (name === 'encoder_hidden_states') {
        const c = Number(dims(name)[2]);
        feeds[name] = new ort.Tensor('float32', new Float32Array(batch * 77 * c), [batch, 77, c]);
      } else {
        throw new Error(`unknown input ${name}`);
      }
    }
    await session.run(feeds); // warm-up (first run allocates)
    await session.run(feeds);
    const times = [];
    for (let r = 0; r < runs; r++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    results.push({ h, w, batch, median_ms: +times[Math.floor(times.length / 2)].toFixed(2), min_ms: +times[0].toFixed(2) });
  }
  console.log(JSON.stringify({ runtime: 'onnxruntime-node', version, inputs: session.inputNames, outputs: session.outputNames, results }));
}
