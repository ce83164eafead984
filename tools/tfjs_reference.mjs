#!/usr/bin/env node
// TensorFlow.js oracle for the TF.js importer (tests/engine/tfjs_import_test.cpp).
//
// Runs a TF.js graph model (model.json + weight shards) on the pure-JavaScript
// CPU backend, from local files only (no network), on inputs given as .npy.
//
//   node tools/tfjs_reference.mjs MODEL_JSON OUT_DIR INPUT.npy...
//
// Each INPUT.npy (float32, C order) is fed to the model's only input; the
// outputs are written as OUT_DIR/<input stem>/<output name>.npy (float32), with
// TF's ":0" suffix stripped from the names, the same names the C++ importer
// gives the graph outputs. A JSON summary (output names and shapes, load and
// per-run times in ms) is printed on stdout.
//
// Also a module: readNpy, writeNpy and localModelHandler serve
// gen_tfjs_op_cases.mjs.
//
// Install once: (cd tools && npm install --ignore-scripts).
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { pathToFileURL } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';

// --- .npy (format 1.0-3.0, little-endian float32/int32, C order) -----------

const kNpyMagic = '\x93NUMPY';

export function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 0, 6) !== kNpyMagic) throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const dataStart = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, dataStart);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`${file}: cannot parse the .npy header ${header.trim()}`);
  }
  if (fortran === 'True') throw new Error(`${file}: Fortran-ordered arrays are not supported`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const types = { '<f4': [Float32Array, 'float32'], '<i4': [Int32Array, 'int32'] };
  if (!(descr in types)) throw new Error(`${file}: dtype ${descr} is not supported (<f4, <i4)`);
  const [Typed, dtype] = types[descr];
  if (buf.length < dataStart + count * 4) {
    throw new Error(`${file}: ${buf.length - dataStart} data bytes, expected ${count * 4} for shape [${shape}]`);
  }
  // Copy: the file buffer's offset need not be 4-byte aligned.
  const values = new Typed(buf.buffer.slice(buf.byteOffset + dataStart, buf.byteOffset + dataStart + count * 4));
  return { shape, dtype, values };
}

export function writeNpy(file, shape, values) {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Magic (6) + version (2) + length (2) + header + '\n' is padded to 64 bytes.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const head = Buffer.alloc(10);
  head.write(kNpyMagic, 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const data = Buffer.from(Float32Array.from(values).buffer);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), data]));
}

// --- model loading from local files -------------------------------------------

// An IOHandler that reads model.json and its shards from disk: the converter's
// own file:// handler needs tfjs-node, which is not pure JavaScript.
export function localModelHandler(modelJsonPath) {
  return {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8'));
      const dir = path.dirname(modelJsonPath);
      const weightSpecs = [];
      const shards = [];
      for (const group of json.weightsManifest ?? []) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) shards.push(fs.readFileSync(path.join(dir, p)));
      }
      const all = Buffer.concat(shards);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
        modelInitializer: json.modelInitializer,
        weightSpecs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.length),
      };
    },
  };
}

export const stripPort = (name) => name.replace(/:0$/, '');

async function main() {
  const [modelJson, outDir, ...inputs] = process.argv.slice(2);
  if (!modelJson || !outDir || inputs.length === 0) {
    console.error('usage: node tfjs_reference.mjs MODEL_JSON OUT_DIR INPUT.npy...');
    process.exit(2);
  }
  await tf.setBackend('cpu');
  const t0 = performance.now();
  const model = await loadGraphModel(localModelHandler(modelJson));
  const loadMs = performance.now() - t0;
  if (model.inputs.length !== 1) throw new Error(`${modelJson}: the model has ${model.inputs.length} inputs; one expected`);
  const inputName = model.inputs[0].name;
  const outputNames = model.outputs.map((o) => o.name);

  const summary = { backend: tf.getBackend(), tfjs: tf.version_core, load_ms: loadMs, input: inputName, runs: [] };
  for (const file of inputs) {
    const npy = readNpy(file);
    const x = tf.tensor(npy.values, npy.shape, npy.dtype);
    const t1 = performance.now();
    const ys = model.execute({ [inputName]: x }, outputNames);
    const outs = Array.isArray(ys) ? ys : [ys];
    const values = await Promise.all(outs.map((y) => y.data()));
    const runMs = performance.now() - t1;
    const dir = path.join(outDir, path.basename(file, '.npy'));
    fs.mkdirSync(dir, { recursive: true });
    const shapes = {};
    outs.forEach((y, i) => {
      const name = stripPort(outputNames[i]);
      shapes[name] = y.shape;
      writeNpy(path.join(dir, `${name}.npy`), y.shape, values[i]);
    });
    tf.dispose([x, ...outs]);
    summary.runs.push({ input: file, run_ms: runMs, outputs: shapes });
  }
  console.log(JSON.stringify(summary, null, 1));
}

// Run as a program (not when imported by gen_tfjs_op_cases.mjs for its helpers).
if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(`tfjs_reference: ${e.message}`);
    process.exit(1);
  });
}
