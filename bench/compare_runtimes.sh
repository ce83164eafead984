#!/usr/bin/env bash
# Side-by-side latency and memory: tilescope vs ONNX Runtime (onnxruntime-node) vs PyTorch, on
# the same replica ONNX files (tools/gen_replicas.py) and, for ORT and PyTorch, the same input.
#
#   bench/compare_runtimes.sh [--build DIR] [--out DIR] [--models yolov8n,yolo11n,nanodet] [--batches 1,4]
#                             [--threads 2] [--runs 20] [--warmup 3] [--opset 17] [--imgsz 640]
#                             [--runtimes tilescope,onnxruntime,pytorch] [--precisions fp32,bf16,int8]
#                             [--calib DIR] [--calib-n 20]
#
# Each runtime runs in its own process, one after another, so they never compete for cores.
# Batch N uses a static batch-N export (like `yolo export batch=N`). tilescope's `bench model`
# feeds its own seeded random input of the same shape (latency does not depend on the values).
# --precisions: tilescope rows per precision; int8 runs the model quantized first with
# `tilescope model quantize --calib DIR --n N` (default: the first 20 opencv-doc photos).
# Model `nanodet` is the default model (NanoDet-m, TF.js, .cache/models/nanodet, fetched by
# tools/fetch_default_model.sh) at its native 416x416, batch 1 only: `tilescope model export`
# writes it as the float ONNX file that ONNX Runtime and the int8 quantizer read, and its
# expected output comes from tilescope's reference backend (ORT's max error is checked against
# it). No PyTorch row for it.
# Prints a markdown table and writes OUT/compare_runtimes.json (every raw result).
# ONNX Runtime comes from bench/package.json, installed on first use with `npm ci --ignore-scripts`
# (the CPU binaries ship inside the npm package; no install script or download is needed).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="$root/build"
out=""
models="yolov8n,yolo11n"
batches="1,4"
threads=2
runs=20
warmup=3
opset=17
imgsz=640
runtimes="tilescope,onnxruntime,pytorch"
precisions="fp32"
calib=/usr/share/doc/opencv-doc/examples/data
calib_n=20
nanodet_json="$root/.cache/models/nanodet/nanodet.json"
python=/usr/bin/python3  # Debian's python: has torch and onnx

while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --batches) batches="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --opset) opset="$2"; shift 2 ;;
    --imgsz) imgsz="$2"; shift 2 ;;
    --runtimes) runtimes="$2"; shift 2 ;;
    --precisions) precisions="$2"; shift 2 ;;
    --calib) calib="$2"; shift 2 ;;
    --calib-n) calib_n="$2"; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "compare_runtimes.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
out="${out:-$build/bench-compare}"
mkdir -p "$out"
results="$out/results.jsonl"
: > "$results"

tilescope="$build/src/cli/tilescope"
if [[ ! -x "$tilescope" ]]; then
  echo "note: $tilescope not built; tilescope rows will be skipped" >&2
fi
if [[ ! -d "$here/node_modules/onnxruntime-node" ]]; then
  echo "installing onnxruntime-node into bench/node_modules (npm ci --ignore-scripts)" >&2
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund >&2)
fi

wants() { [[ ",$runtimes," == *",$1,"* ]]; }

# Appends one JSON line; a runtime that fails gets an error row instead of stopping the others.
record() {
  local runtime="$1" model="$2" batch="$3"; shift 3
  local line
  if line="$("$@" 2> "$out/last_error.txt" | tail -n 1)" && [[ "$line" == "{"* ]]; then
    echo "$line" | "$python" -c "import json,sys; d=json.load(sys.stdin); d.update(runtime='$runtime', model_name='$model', batch=$batch); print(json.dumps(d))" >> "$results"
  else
    local msg
    msg="$(tail -n 3 "$out/last_error.txt" | tr '\n' ' ')"
    echo "warning: $runtime $model batch $batch failed: $msg" >&2
    "$python" -c "import json,sys; print(json.dumps(dict(runtime='$runtime', model_name='$model', batch=$batch, error=sys.argv[1])))" "$msg" >> "$results"
  fi
}

# The default model as float ONNX (the file every runtime reads), a seeded random input and
# the reference backend's output for it.
prepare_nanodet() {
  local dir="$1"
  if [[ ! -f "$nanodet_json" ]]; then
    echo "compare_runtimes.sh: $nanodet_json missing (run tools/fetch_default_model.sh)" >&2
    exit 1
  fi
  if [[ ! -x "$tilescope" ]]; then
    echo "compare_runtimes.sh: model nanodet needs $tilescope (tilescope model export)" >&2
    exit 1
  fi
  mkdir -p "$dir"
  "$tilescope" model export "$nanodet_json" --out "$dir/nanodet.onnx" > "$dir/export.log" 2>&1 ||
    { cat "$dir/export.log" >&2; exit 1; }
  "$python" -c "import numpy as np, sys; np.save(sys.argv[1], np.random.default_rng(0).random((1, 3, 416, 416), dtype=np.float32))" \
    "$dir/nanodet.input.npy"
  "$tilescope" model run "$dir/nanodet.onnx" --input "$dir/nanodet.input.npy" --output-dir "$dir/reference" \
    --backend reference > "$dir/reference.log" 2>&1 || { cat "$dir/reference.log" >&2; exit 1; }
  cp "$dir/reference/Identity.npy" "$dir/nanodet.output0.npy"
}

IFS=, read -r -a model_list <<< "$models"
IFS=, read -r -a batch_list <<< "$batches"
IFS=, read -r -a precision_list <<< "$precisions"
replicas="$(tr ',' '\n' <<< "$models" | grep -vx nanodet | paste -sd, || true)"
for batch in "${batch_list[@]}"; do
  dir="$out/replicas-b$batch"
  if [[ -n "$replicas" ]] &&
    ! "$python" "$root/tools/gen_replicas.py" --out "$dir" --models "$replicas" --opsets "$opset" --imgsz "$imgsz" \
      --batch "$batch" --dynamic-batch 0 > "$out/gen-b$batch.log" 2>&1; then
    cat "$out/gen-b$batch.log" >&2
    exit 1
  fi
  suffix=""
  [[ "$batch" != 1 ]] && suffix="_b$batch"
  for model in "${model_list[@]}"; do
    stem="$dir/${model}_op${opset}_${imgsz}${suffix}"
    if [[ "$model" == nanodet ]]; then
      if [[ "$batch" != 1 ]]; then
        echo "note: nanodet has a fixed batch of 1; skipped at batch $batch" >&2
        continue
      fi
      prepare_nanodet "$out/nanodet"
      stem="$out/nanodet/nanodet"
    fi
    echo "== $model batch $batch" >&2
    if wants tilescope && [[ -x "$tilescope" ]]; then
      for precision in "${precision_list[@]}"; do
        file="$stem.onnx"
        if [[ "$precision" == int8 ]]; then
          file="$stem.int8.onnx"
          "$tilescope" model quantize "$stem.onnx" --calib "$calib" --n "$calib_n" --out "$file" > "$out/quantize.log" 2>&1 ||
            { cat "$out/quantize.log" >&2; exit 1; }
        fi
        name=tilescope
        [[ "$precision" != fp32 ]] && name="tilescope-$precision"
        record "$name" "$model" "$batch" "$tilescope" bench model "$file" --batch "$batch" \
          --threads "$threads" --iters "$runs" --warmup "$warmup" --precision "$precision" --json
      done
    fi
    if wants onnxruntime; then
      record onnxruntime "$model" "$batch" node "$here/ort_bench.mjs" --model "$stem.onnx" \
        --input "$stem.input.npy" --expect "$stem.output0.npy" --threads "$threads" --runs "$runs" \
        --warmup "$warmup" --json
    fi
    if wants pytorch && [[ "$model" != nanodet ]]; then
      record pytorch "$model" "$batch" "$python" "$here/torch_bench.py" --model "$model" \
        --input "$stem.input.npy" --expect "$stem.output0.npy" --threads "$threads" --runs "$runs" \
        --warmup "$warmup" --json
    fi
  done
done

"$python" - "$results" "$out/compare_runtimes.json" "$threads" <<'EOF'
import json, os, platform, re, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
threads = sys.argv[3]
ort = {(r["model_name"], r["batch"]): r["median_ms"] for r in rows if r["runtime"] == "onnxruntime" and "median_ms" in r}
cpu = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read())
cpu = cpu.group(1) if cpu else platform.machine()
load = os.getloadavg()
# Other processes on the machine skew every row: the load average says how much.
print(f"\n{cpu}, {os.cpu_count()} cores, {threads} threads per runtime, load average {load[0]:.1f} {load[1]:.1f}\n")
# min ms: the fastest run, the least disturbed by other processes on a shared machine.
print("| runtime | model | batch | median ms | p90 ms | min ms | peak RSS MB | median / ORT |")
print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
for r in rows:
    if "error" in r:
        print(f"| {r['runtime']} | {r['model_name']} | {r['batch']} | failed | | | | |")
        continue
    base = ort.get((r["model_name"], r["batch"]))
    ratio = f"{r['median_ms'] / base:.2f}" if base else "n/a"
    name = f"{r['runtime']} {r.get('version', '')}".strip()
    print(f"| {name} | {r['model_name']} | {r['batch']} | {r['median_ms']:.1f} "
          f"| {r['p90_ms']:.1f} | {r.get('min_ms', float('nan')):.1f} | {r['peak_rss_mb']:.0f} | {ratio} |")
json.dump({"cpu": cpu, "threads": int(threads), "load_average": load, "results": rows}, open(sys.argv[2], "w"), indent=2)
print(f"\nwritten: {sys.argv[2]}")
EOF
