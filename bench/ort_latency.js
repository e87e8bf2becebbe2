// SPDX-License-Identifier: MIT
// ort_latency.js — the peer in docs/perf.md: ONNX Runtime CPU latency of a model
// on this machine, with the settings the assets' goldens used (2 intra-op
// threads, sequential, all graph optimizations), median of N after warm-ups.
// Inputs come from a golden safetensors file (tensor names = graph inputs).
// usage: node bench/ort_latency.js MODEL.onnx INPUTS.safetensors [runs]
// needs: npm install --ignore-scripts onnxruntime-node@1.30.0 (NODE_PATH to it)
const fs = require('fs');
const ort = require('onnxruntime-node');

function readSafetensors(path) {
  const buf = fs.readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.slice(8, 8 + n).toString('utf8'));
  const out = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [b, e] = t.data_offsets;
    const raw = buf.slice(8 + n + b, 8 + n + e);
    const ab = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length);
    const data = t.dtype === 'F32' ? new Float32Array(ab) : t.dtype === 'I64' ? new BigInt64Array(ab) : null;
    if (!data) throw new Error(`${name}: dtype ${t.dtype}`);
    out[name] = new ort.Tensor(t.dtype === 'F32' ? 'float32' : 'int64', data, t.shape);
  }
  return out;
}

async function main() {
  const [model, inputs, runsArg] = process.argv.slice(2);
  const runs = Number(runsArg || 20);
  const sess = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'], intraOpNumThreads: 2, interOpNumThreads: 1,
    executionMode: 'sequential', graphOptimizationLevel: 'all'});
  const all = readSafetensors(inputs);
  const feeds = {};
  for (const name of sess.inputNames) feeds[name] = all[name];
  for (let i = 0; i < 3; i++) await sess.run(feeds);
  const t = [];
  for (let i = 0; i < runs; i++) {
    const a = process.hrtime.bigint();
    await sess.run(feeds);
    t.push(Number(process.hrtime.bigint() - a) / 1e6);
  }
  t.sort((x, y) => x - y);
  const med = runs % 2 ? t[(runs - 1) / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
  console.log(`onnxruntime-node ${require('onnxruntime-node/package.json').version} CPU, 2 threads: ` +
              `${model.split('/').pop()} median of ${runs}: ${med.toFixed(2)} ms (min ${t[0].toFixed(2)})`);
}
main().catch((e) => { console.error(e.message); process.exit(1); });
