// The oracle for tests/quant: runs an ONNX model (a QDQ one from `tilescope
// model quantize`) on one float32 .npy input with ONNX Runtime (CPU,
// onnxruntime-node from bench/node_modules) and writes every output as
// <out_dir>/<index>.npy (float32).
//
//   node tests/quant/ort_run.mjs MODEL.onnx INPUT.npy OUT_DIR [--no-optimizations]
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "..", "..", "bench", "package.json"));
const ort = require("onnxruntime-node");

function readNpy(path) {
  const buf = readFileSync(path);
  if (buf.toString("latin1", 0, 6) !== "\x93NUMPY") throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString("latin1", start, start + headerLen);
  if (!/'descr':\s*'<f4'/.test(header)) throw new Error(`${path}: only <f4 is supported`);
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(",").map((s) => s.trim()).filter((s) => s).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = buf.byteOffset + start + headerLen;
  return { shape, data: new Float32Array(buf.buffer.slice(offset, offset + count * 4)) };
}

function writeNpy(path, shape, data) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  const total = 10 + header.length + 1;
  header += " ".repeat((64 - (total % 64)) % 64) + "\n";
  const head = Buffer.alloc(10);
  head.write("\x93NUMPY", 0, "latin1");
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  writeFileSync(path, Buffer.concat([head, Buffer.from(header, "latin1"), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

const [model, input, outDir, flag] = process.argv.slice(2);
if (!outDir) throw new Error("usage: ort_run.mjs MODEL.onnx INPUT.npy OUT_DIR");
const options = { intraOpNumThreads: 2, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: flag === "--no-optimizations" ? "disabled" : "all" };
const session = await ort.InferenceSession.create(model, options);
const x = readNpy(input);
const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", x.data, x.shape) };
const results = await session.run(feeds);
mkdirSync(outDir, { recursive: true });
session.outputNames.forEach((name, i) => {
  const t = results[name];
  writeNpy(join(outDir, `${i}.npy`), t.dims, t.data);
});
console.log(`onnxruntime-node ${ort.env.versions?.common ?? ""}: ${session.outputNames.length} outputs`);
