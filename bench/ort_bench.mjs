// ONNX Runtime (CPU, onnxruntime-node) latency for one model and input, as a benchmark peer.
//
//   node bench/ort_bench.mjs --model M.onnx --input X.npy [--threads 2] [--warmup 3] [--runs 20]
//                            [--expect Y.npy] [--json]
//
// Prints one JSON object (--json) or a line: runtime, version, model, batch, median_ms, p90_ms, min_ms,
// peak_rss_mb (process.resourceUsage().maxRSS: the whole node process, ORT's arena included),
// and with --expect the max abs difference from a reference output (checks the ONNX file too).
// Threads: intra-op = --threads, inter-op 1, sequential execution, all graph optimisations: the
// settings a 2-core deployment would pick.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename } from "node:path";
import ort from "onnxruntime-node";

const require = createRequire(import.meta.url);

function parseArgs(argv) {
  const args = { threads: 2, warmup: 3, runs: 20, json: false };
  for (let i = 0; i < argv.length; ++i) {
    const key = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${key}: missing value`);
      return argv[++i];
    };
    if (key === "--model") args.model = value();
    else if (key === "--input") args.input = value();
    else if (key === "--expect") args.expect = value();
    else if (key === "--threads") args.threads = Number(value());
    else if (key === "--warmup") args.warmup = Number(value());
    else if (key === "--runs") args.runs = Number(value());
    else if (key === "--json") args.json = true;
    else throw new Error(`unknown argument '${key}'`);
  }
  if (!args.model || !args.input) throw new Error("--model and --input are required");
  return args;
}

// Minimal .npy reader: little-endian float32, C order (what tools/gen_replicas.py writes).
function readNpyFloat32(path) {
  const buf = readFileSync(path);
  if (buf.toString("latin1", 0, 6) !== "\x93NUMPY") throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = buf.toString("latin1", headerStart, headerStart + headerLen);
  if (!/'descr':\s*'<f4'/.test(header)) throw new Error(`${path}: only <f4 is supported (${header.trim()})`);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${path}: Fortran order is not supported`);
  const shape = header
    .match(/'shape':\s*\(([^)]*)\)/)[1]
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length)
    .map(Number);
  const offset = headerStart + headerLen;
  const count = shape.reduce((a, b) => a * b, 1);
  // Copy: the data offset need not be 4-byte aligned inside the Buffer's pool.
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + offset, buf.byteOffset + offset + count * 4));
  return { shape, data };
}

function percentile(sorted, p) {
  // Nearest-rank on the sorted sample.
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const input = readNpyFloat32(args.input);
  const session = await ort.InferenceSession.create(args.model, {
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", input.data, input.shape) };
  let outputs;
  for (let i = 0; i < args.warmup; ++i) outputs = await session.run(feeds);
  const times = [];
  for (let i = 0; i < args.runs; ++i) {
    const t0 = process.hrtime.bigint();
    outputs = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const result = {
    runtime: "onnxruntime",
    version: require("onnxruntime-node/package.json").version,
    model: basename(args.model),
    batch: input.shape[0],
    threads: args.threads,
    runs: args.runs,
    median_ms: percentile(times, 50),
    p90_ms: percentile(times, 90),
    min_ms: times[0],
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  };
  if (args.expect) {
    const expected = readNpyFloat32(args.expect);
    const got = outputs[session.outputNames[0]].data;
    if (got.length !== expected.data.length) {
      throw new Error(`output has ${got.length} values, ${args.expect} has ${expected.data.length}`);
    }
    let maxErr = 0;
    let maxRef = 0;
    for (let i = 0; i < got.length; ++i) {
      maxErr = Math.max(maxErr, Math.abs(got[i] - expected.data[i]));
      maxRef = Math.max(maxRef, Math.abs(expected.data[i]));
    }
    result.max_abs_err = maxErr;
    result.max_abs_err_rel = maxErr / maxRef;
  }
  if (args.json) {
    console.log(JSON.stringify(result));
  } else {
    const check = args.expect ? ` max|err| ${result.max_abs_err.toExponential(3)}` : "";
    console.log(
      `onnxruntime ${result.version} ${result.model} batch ${result.batch}: median ${result.median_ms.toFixed(2)} ms, ` +
        `p90 ${result.p90_ms.toFixed(2)} ms, peak RSS ${result.peak_rss_mb.toFixed(0)} MB${check}`,
    );
  }
}

main().catch((err) => {
  console.error(`ort_bench: ${err.message}`);
  process.exit(1);
});
