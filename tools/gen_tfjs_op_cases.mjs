#!/usr/bin/env node
// Generates tests/engine/data/tfjs_ops/: a small TF.js graph model exercising
// every TF op lowering of the importer (and each padding, layout, resize and
// weight-quantization rule), its input, and the outputs TensorFlow.js
// (tfjs-backend-cpu 4.22) computes for it. tests/engine/tfjs_import_test.cpp
// runs the same model on tilescope and compares, without needing Node.
//
//   node tools/gen_tfjs_op_cases.mjs [OUT_DIR]     (needs tools/node_modules)
//
// One input x [1, 9, 11, 4] (NHWC; odd sizes so 'SAME' padding is
// asymmetric); each output is one case, named after what it checks.
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';

import { localModelHandler, writeNpy } from './tfjs_reference.mjs';

const outDir = process.argv[2] ?? path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'tests/engine/data/tfjs_ops');

// Deterministic weights: mulberry32.
let seed = 12345;
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const uniform = (n, lo, hi) => Array.from({ length: n }, () => lo + (hi - lo) * random());
const count = (shape) => shape.reduce((a, b) => a * b, 1);

// float32 -> IEEE half bits (round to nearest; the decoders on both sides see the same bits either way).
function toHalf(v) {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const mant = u & 0x7fffff;
  if (exp <= 0) return sign;  // tiny -> 0 (subnormals are written as raw bits below)
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | Math.round(mant / 8192);
}

// --- graph building -----------------------------------------------------------------

const nodes = [];
const weights = [];  // {spec, bytes}
const dims = (shape) => ({ dim: shape.map((d) => ({ size: String(d) })) });
const attr = {
  i: (v) => ({ i: String(v) }),
  f: (v) => ({ f: v }),
  b: (v) => ({ b: v }),
  s: (v) => ({ s: Buffer.from(v).toString('base64') }),
  type: (t) => ({ type: t }),
  ints: (v) => ({ list: { i: v.map(String) } }),
  strs: (v) => ({ list: { s: v.map((x) => Buffer.from(x).toString('base64')) } }),
};

function op(name, type, inputs, attrs = {}) {
  nodes.push({ name, op: type, input: inputs, attr: { T: attr.type('DT_FLOAT'), ...attrs } });
  return name;
}

// A Const with its value in the weights. quant: undefined | 'float16' | 'uint8'.
function constant(name, shape, values, dtype = 'float32', quant = undefined) {
  const tfType = dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32';
  nodes.push({
    name, op: 'Const',
    attr: { dtype: attr.type(tfType), value: { tensor: { dtype: tfType, tensorShape: dims(shape) } } },
  });
  const spec = { name, shape, dtype };
  let bytes;
  if (quant === 'float16') {
    spec.quantization = { dtype: 'float16', original_dtype: 'float32' };
    bytes = Buffer.from(new Uint16Array(values.map((v) => (typeof v === 'object' ? v.bits : toHalf(v)))).buffer);
  } else if (quant === 'uint8') {
    const scale = 2 / 255, min = -1;
    spec.quantization = { dtype: 'uint8', min, scale, original_dtype: 'float32' };
    bytes = Buffer.from(new Uint8Array(values.map((v) => Math.max(0, Math.min(255, Math.round((v - min) / scale))))).buffer);
  } else {
    bytes = Buffer.from((dtype === 'float32' ? new Float32Array(values) : new Int32Array(values)).buffer);
  }
  weights.push({ spec, bytes });
  return name;
}
const ints = (name, values, shape = [values.length]) => constant(name, shape, values, 'int32');
const floats = (name, shape, lo = -1, hi = 1, quant = undefined) => constant(name, shape, uniform(count(shape), lo, hi), 'float32', quant);

const outputs = [];
const output = (name) => outputs.push(name);

// --- the cases -----------------------------------------------------------------------

const xShape = [1, 9, 11, 4];
nodes.push({ name: 'x', op: 'Placeholder', attr: { dtype: attr.type('DT_FLOAT'), shape: { shape: dims(xShape) } } });

// tfjs-converter reads dilations without a default.
const dense = { dilations: attr.ints([1, 1, 1, 1]) };
const conv = (name, filter, strides, padding, extra = {}) =>
  op(name, 'Conv2D', ['x', filter],
    { strides: attr.ints(strides), padding: attr.s(padding), data_format: attr.s('NHWC'), ...dense, ...extra });

// SAME with stride 2 on odd sizes: pads (0, 1) rows and (1, 2) columns; float16 weights.
output(conv('conv_same_s2', floats('w_same', [2, 4, 4, 5], -1, 1, 'float16'), [1, 2, 2, 1], 'SAME'));
output(conv('conv_valid_dilated', floats('w_dil', [3, 3, 4, 6]), [1, 1, 1, 1], 'VALID', { dilations: attr.ints([1, 2, 2, 1]) }));
output(conv('conv_explicit', floats('w_expl', [3, 2, 4, 3]), [1, 1, 2, 1], 'EXPLICIT',
  { explicit_paddings: attr.ints([0, 0, 1, 2, 0, 1, 0, 0]) }));
// uint8 affine-quantized depthwise filter, channel multiplier 2.
output(op('depthwise_same', 'DepthwiseConv2dNative', ['x', floats('w_dw', [3, 3, 4, 2], -1, 1, 'uint8')],
  { strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME'), ...dense }));
const fused = (name, type, filter, bias, ops, extra = {}) =>
  op(name, type, ['x', filter, bias], {
    strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME'), fused_ops: attr.strs(ops), num_args: attr.i(1), ...dense,
    ...extra,
  });
output(fused('fused_conv_relu6', '_FusedConv2D', floats('w_f1', [3, 3, 4, 5], -2, 2), floats('b_f1', [5]), ['BiasAdd', 'Relu6']));
output(fused('fused_conv_leaky', '_FusedConv2D', floats('w_f2', [1, 1, 4, 3]), floats('b_f2', [3]), ['BiasAdd', 'LeakyRelu'],
  { leakyrelu_alpha: attr.f(0.1) }));
output(fused('fused_conv_bias', '_FusedConv2D', floats('w_f3', [3, 1, 4, 2]), floats('b_f3', [2]), ['BiasAdd']));
output(fused('fused_depthwise_relu', 'FusedDepthwiseConv2dNative', floats('w_f4', [3, 3, 4, 1]), floats('b_f4', [4]), ['BiasAdd', 'Relu']));

const pool = (name, type, k, s, padding) =>
  op(name, type, ['x'], { ksize: attr.ints([1, k, k, 1]), strides: attr.ints([1, s, s, 1]), padding: attr.s(padding) });
output(pool('maxpool_same', 'MaxPool', 3, 2, 'SAME'));
output(pool('avgpool_same', 'AvgPool', 3, 2, 'SAME'));  // edge windows average only the real taps
output(pool('avgpool_valid', 'AvgPool', 2, 2, 'VALID'));

const resize = (name, type, size, align, half) =>
  op(name, type, ['x', ints(`${name}/size`, size)], { align_corners: attr.b(align), half_pixel_centers: attr.b(half) });
output(resize('bilinear_half_pixel_up', 'ResizeBilinear', [20, 23], false, true));
output(resize('bilinear_half_pixel_down', 'ResizeBilinear', [4, 5], false, true));
output(resize('bilinear_align_corners', 'ResizeBilinear', [13, 7], true, false));
output(resize('bilinear_asymmetric', 'ResizeBilinear', [14, 17], false, false));
output(resize('nearest_half_pixel', 'ResizeNearestNeighbor', [14, 17], false, true));
output(resize('nearest_align_corners', 'ResizeNearestNeighbor', [13, 7], true, false));
output(resize('nearest_asymmetric', 'ResizeNearestNeighbor', [5, 23], false, false));

// NHWC ops around channel-last element-wise ones: the Transposes must not cancel wrongly.
op('bias_add', 'BiasAdd', ['x', floats('b_ba', [4])], { data_format: attr.s('NHWC') });
output(op('bias_add_relu', 'Relu', ['bias_add']));
op('chain_conv', 'Conv2D', ['x', floats('w_chain', [3, 3, 4, 4])], { strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME'), ...dense });
op('chain_add', 'AddV2', ['chain_conv', floats('b_chain', [4])]);
op('chain_pool', 'MaxPool', ['chain_add'], { ksize: attr.ints([1, 2, 2, 1]), strides: attr.ints([1, 2, 2, 1]), padding: attr.s('VALID') });
output(op('chain_conv_add_pool', 'Sigmoid', ['chain_pool']));

op('mul', 'Mul', ['x', floats('c_mul', [1, 1, 1, 4], 0.5, 2)]);
op('sub', 'Sub', ['mul', floats('c_sub', [11, 1])]);
output(op('mul_sub_div', 'RealDiv', ['sub', floats('c_div', [4], 1, 3)]));
output(op('softmax', 'Softmax', ['x']));
output(op('mean_hw', 'Mean', ['x', ints('mean_axes', [1, 2])], { keep_dims: attr.b(true) }));
op('exp', 'Exp', ['x']);
op('sqrt', 'Sqrt', ['exp']);
output(op('tanh_sqrt_exp', 'Tanh', ['sqrt']));
output(op('leaky_relu', 'LeakyRelu', ['x'], { alpha: attr.f(0.2) }));
output(op('relu6', 'Relu6', ['mul']));

// Padding and concatenation; PadV2's value and MirrorPad's reflection.
op('pad', 'Pad', ['x', ints('pads', [0, 0, 1, 2, 0, 1, 0, 0], [4, 2])]);
op('pad_v2', 'PadV2', ['x', ints('pads_v2', [0, 0, 1, 2, 0, 1, 0, 0], [4, 2]), constant('pad_value', [], [-1.5])]);
output(op('pad_concat', 'ConcatV2', ['pad', 'pad_v2', ints('concat_axis', [3], [])], { N: attr.i(2) }));
output(op('mirror_pad', 'MirrorPad', ['x', ints('pads_mirror', [0, 0, 2, 1, 1, 2, 0, 0], [4, 2])], { mode: attr.s('REFLECT') }));

// Shape ops: SplitV, Split, Reshape, Transpose, Squeeze, ExpandDims, Cast.
nodes.push({ name: 'split_v', op: 'SplitV', input: ['x', ints('split_sizes', [1, 3]), ints('split_dim', [3], [])],
  attr: { T: attr.type('DT_FLOAT'), num_split: attr.i(2) } });
op('reshape', 'Reshape', ['split_v:1', ints('reshape_to', [1, 99, 3])]);
output(op('split_v_reshape_transpose', 'Transpose', ['reshape', ints('perm', [0, 2, 1])]));
nodes.push({ name: 'split', op: 'Split', input: [ints('split_axis', [2], []), 'x'],
  attr: { T: attr.type('DT_FLOAT'), num_split: attr.i(1) } });
op('squeeze', 'Squeeze', ['split_v'], { squeeze_dims: attr.ints([3]) });
output(op('squeeze_expand', 'ExpandDims', ['squeeze', ints('expand_axis', [1], [])]));
op('cast_int', 'Cast', ['mul'], { SrcT: attr.type('DT_FLOAT'), DstT: attr.type('DT_INT32') });
output(op('cast_round_trip', 'Cast', ['cast_int'], { SrcT: attr.type('DT_INT32'), DstT: attr.type('DT_FLOAT') }));
output(op('split_one', 'Identity', ['split']));

// float16 subnormals and specials decode the same on both sides.
const halfBits = [0x0001, 0x03ff, 0x8200, 0x3c00, 0xc000, 0x7bff, 0x0400, 0x3555].map((bits) => ({ bits }));
output(op('float16_values', 'AddV2', ['mean_hw', constant('halves', [1, 2, 1, 4], halfBits, 'float32', 'float16')]));

// --- write the model, run TF.js, write the expected outputs ------------------------------------

const signature = {
  inputs: { 'x:0': { name: 'x:0', dtype: 'DT_FLOAT', tensorShape: dims(xShape) } },
  outputs: Object.fromEntries(outputs.map((o) => [`${o}:0`, { name: `${o}:0`, dtype: 'DT_FLOAT' }])),
};
const model = {
  format: 'graph-model',
  generatedBy: 'tools/gen_tfjs_op_cases.mjs',
  convertedBy: 'hand-written',
  signature,
  modelTopology: { node: nodes, library: {}, versions: {} },
  weightsManifest: [{ paths: ['weights.bin'], weights: weights.map((w) => w.spec) }],
};
fs.mkdirSync(path.join(outDir, 'expected'), { recursive: true });
fs.writeFileSync(path.join(outDir, 'model.json'), JSON.stringify(model, null, 1));
fs.writeFileSync(path.join(outDir, 'weights.bin'), Buffer.concat(weights.map((w) => w.bytes)));

await tf.setBackend('cpu');
const graphModel = await loadGraphModel(localModelHandler(path.join(outDir, 'model.json')));
const xValues = uniform(count(xShape), -2, 2);
writeNpy(path.join(outDir, 'input.npy'), xShape, xValues);
const x = tf.tensor(xValues, xShape);
const names = outputs.map((o) => `${o}:0`);
const ys = graphModel.execute({ 'x:0': x }, names);
for (let i = 0; i < outputs.length; ++i) {
  writeNpy(path.join(outDir, 'expected', `${outputs[i]}.npy`), ys[i].shape, await ys[i].data());
}
console.log(`wrote ${outputs.length} cases to ${outDir}`);
