#!/usr/bin/python3
"""PyTorch (CPU, eager) latency of a replica model, as a benchmark peer for bench/compare_runtimes.sh.

    /usr/bin/python3 bench/torch_bench.py --model yolov8n --input X.npy [--threads 2] [--warmup 3]
                                          [--runs 20] [--expect Y.npy] [--json]

Runs the same module tools/gen_replicas.py exported (same seed, so the same float32 weights as
the ONNX file; fused Conv+BN, eval mode) under torch.inference_mode() with torch.set_num_threads.
peak_rss_mb is getrusage(RUSAGE_SELF).ru_maxrss: the whole process, model build included.
"""
import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import gen_replicas  # noqa: E402
import ultralytics_replica as replica  # noqa: E402


def percentile(sorted_ms, p):
    """Nearest rank, as bench/ort_bench.mjs computes it."""
    rank = min(len(sorted_ms) - 1, max(0, -(-p * len(sorted_ms) // 100) - 1))
    return sorted_ms[int(rank)]


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, choices=sorted(replica.ARCHITECTURES))
    p.add_argument("--input", required=True, type=Path)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--expect", type=Path, help="reference output .npy: report max abs difference")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    model = replica.build(args.model, gen_replicas.MODEL_SEEDS[args.model])
    x = torch.from_numpy(np.load(args.input))
    times = []
    with torch.inference_mode():
        for _ in range(args.warmup):
            y = model(x)
        for _ in range(args.runs):
            t0 = time.perf_counter()
            y = model(x)
            times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    result = {
        "runtime": "pytorch",
        "version": torch.__version__,
        "model": args.model,
        "batch": int(x.shape[0]),
        "threads": args.threads,
        "runs": args.runs,
        "median_ms": percentile(times, 50),
        "p90_ms": percentile(times, 90),
        "min_ms": times[0],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if args.expect:
        want = np.load(args.expect).astype(np.float64)
        err = float(np.abs(y.numpy().astype(np.float64) - want).max())
        result["max_abs_err"] = err
        result["max_abs_err_rel"] = err / float(np.abs(want).max())
    if args.json:
        print(json.dumps(result))
    else:
        check = f" max|err| {result['max_abs_err']:.3e}" if args.expect else ""
        print(f"pytorch {result['version']} {args.model} batch {result['batch']}: median {result['median_ms']:.2f} ms, "
              f"p90 {result['p90_ms']:.2f} ms, peak RSS {result['peak_rss_mb']:.0f} MB{check}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
