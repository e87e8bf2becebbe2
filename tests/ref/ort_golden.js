// SPDX-License-Identifier: MIT
// ort_golden.js — an ONNX Runtime golden: feeds the tensors of an input
// safetensors file to a model and writes a golden safetensors file holding the
// graph inputs then the graph outputs, by their ONNX names and in graph order
// (the format of ../shared/assets/golden, see its README).
//
//     NODE_PATH=/tmp/ort/node_modules node tests/ref/ort_golden.js MODEL.onnx INPUTS.safetensors GOLDEN.safetensors [KEY=VALUE...]
//
// KEY=VALUE pairs go into __metadata__ with the model, the ORT version and the
// session options. onnxruntime-node 1.30.0 (npm, --ignore-scripts), CPU EP.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

function readSafetensors(file) {
    const buf = fs.readFileSync(file);
    const n = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
    const base = 8 + n, out = {};
    for (const [name, t] of Object.entries(header)) {
        if (name === '__metadata__')
            continue;
        const [a, b] = t.data_offsets;
        const bytes = Uint8Array.prototype.slice.call(buf, base + a, base + b); // aligned copy
        const data = t.dtype === 'F32' ? new Float32Array(bytes.buffer)
                   : t.dtype === 'I64' ? new BigInt64Array(bytes.buffer)
                   : null;
        if (!data)
            throw new Error(`${file}: ${name} has dtype ${t.dtype}`);
        out[name] = {dtype: t.dtype, shape: t.shape, data};
    }
    return {tensors: out, meta: header.__metadata__ || {}};
}

function writeSafetensors(file, list, meta) {
    const header = {};
    let off = 0;
    const blobs = [];
    for (const [name, dtype, shape, data] of list) {
        const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        header[name] = {dtype, shape, data_offsets: [off, off + b.length]};
        off += b.length;
        blobs.push(b);
    }
    header.__metadata__ = meta;
    let h = JSON.stringify(header);
    while ((8 + Buffer.byteLength(h)) % 8)
        h += ' ';
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(Buffer.byteLength(h)));
    fs.writeFileSync(file, Buffer.concat([len, Buffer.from(h, 'utf8'), ...blobs]));
}

async function main() {
    const [model, inputs, golden, ...kv] = process.argv.slice(2);
    if (!golden) {
        console.error('usage: node ort_golden.js MODEL.onnx INPUTS.safetensors GOLDEN.safetensors [KEY=VALUE...]');
        process.exit(2);
    }
    const opts = {executionProviders: ['cpu'], intraOpNumThreads: 2, interOpNumThreads: 1,
                  executionMode: 'sequential', graphOptimizationLevel: 'all'};
    const sess = await ort.InferenceSession.create(model, opts);
    const inp = readSafetensors(inputs);
    const feeds = {}, list = [];
    for (const name of sess.inputNames) {
        const t = inp.tensors[name];
        if (!t)
            throw new Error(`${inputs} has no tensor ${name}`);
        feeds[name] = new ort.Tensor(t.dtype === 'F32' ? 'float32' : 'int64', t.data, t.shape);
        list.push([name, t.dtype, t.shape, t.data]);
    }
    const res = await sess.run(feeds);
    const again = await sess.run(feeds);
    for (const name of sess.outputNames) {
        const t = res[name];
        const dtype = t.type === 'float32' ? 'F32' : t.type === 'int64' ? 'I64' : null;
        if (!dtype)
            throw new Error(`output ${name} has type ${t.type}`);
        const a = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
        const b = Buffer.from(again[name].data.buffer, again[name].data.byteOffset, again[name].data.byteLength);
        if (!a.equals(b))
            console.error(`warning: output ${name} differs between two runs`);
        list.push([name, dtype, t.dims.map(Number), t.data]);
    }
    const meta = Object.assign({}, inp.meta, {
        model: path.basename(model),
        onnxruntime: `onnxruntime-node ${require('onnxruntime-node/package.json').version} (CPU EP, node ${process.version})`,
        session_options: JSON.stringify(opts),
    });
    for (const s of kv) {
        const i = s.indexOf('=');
        if (i > 0)
            meta[s.slice(0, i)] = s.slice(i + 1);
    }
    writeSafetensors(golden, list, meta);
    for (const [name, dtype, shape, data] of list)
        console.log(`${name} ${dtype} [${shape}]` + (data.length <= 8 ? ` ${Array.from(data).join(' ')}` : ''));
}

main().catch(e => { console.error(e); process.exit(1); });
