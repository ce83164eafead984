#!/usr/bin/python3
"""Generates ONNX replicas of Ultralytics YOLOv8n / YOLOv5n / YOLO11n with PyTorch reference outputs.

Run with Debian's python (torch 1.13, onnx 1.12):

    /usr/bin/python3 tools/gen_replicas.py --out build/replicas

For every model M and opset K it writes, into --out:

    M_opK_S.onnx          static shapes, batch --batch (file gets _bN when N > 1), exported
                          the way `yolo export format=onnx` does (fused Conv+BN, input `images`,
                          output `output0`, do_constant_folding, Ultralytics metadata_props)
    M_opK_S.input.npy     seeded input [N,3,H,W] float32 in [0,1)
    M_opK_S.output0.npy   PyTorch's output for it, float32 (computed in float64, see below)
    M_opK_S_dynamic.onnx  the same weights exported like `yolo export dynamic=True` (batch, height
                          and width dynamic; the head recomputes anchors from traced shapes), with
                          .input.npy / .output0.npy at --dynamic-batch x --dynamic-imgsz
    manifest.json         every case: files, shapes, oracle precision, torch float32 vs float64 error

S is the image size ("640", or "384x640" for --imgsz 384,640). Output layouts:
YOLOv8/YOLO11 [N, 4+80, A] (cx, cy, w, h in input pixels, then sigmoid class scores; A = 8400
at 640); YOLOv5 [N, 3*A, 85] (cx, cy, w, h, objectness, class scores; 25200 at 640).

The oracle: the exported float32 weights, cast to float64, run by PyTorch in float64. The ONNX
file holds exactly those float32 weights, so a runtime's deviation from the oracle is its own
rounding error plus at most one float32 rounding of the stored output (relative 6e-8). The
manifest also records how far PyTorch's own float32 run is from it, the error scale a correct
float32 runtime has on the same model.
"""
import argparse
import copy
import io
import json
import os
import sys
import time
import warnings
import zlib
from pathlib import Path

import numpy as np
import onnx
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ultralytics_replica as replica  # noqa: E402

# ultralytics/cfg/datasets/coco.yaml
COCO_NAMES = [
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
]  # fmt: skip

MODEL_SEEDS = {"yolov8n": 8, "yolov5n": 5, "yolo11n": 11}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, type=Path, help="output folder (created)")
    p.add_argument("--models", default="yolov8n,yolov5n,yolo11n")
    p.add_argument("--opsets", default="12,17")
    p.add_argument("--imgsz", default="640", help="'640' or 'H,W'")
    p.add_argument("--batch", type=int, default=1, help="batch of the static export")
    p.add_argument("--dynamic-batch", type=int, default=4, help="batch of the dynamic model's test input (0: no dynamic export)")
    p.add_argument("--dynamic-imgsz", default="256,320", help="H,W of the dynamic model's test input")
    p.add_argument("--force", action="store_true", help="regenerate even when --out is up to date")
    args = p.parse_args(argv)
    args.models = [m for m in args.models.split(",") if m]
    for m in args.models:
        if m not in replica.ARCHITECTURES:
            p.error(f"unknown model '{m}' (known: {', '.join(replica.ARCHITECTURES)})")
    args.opsets = [int(o) for o in args.opsets.split(",") if o]
    args.imgsz = parse_hw(p, args.imgsz)
    args.dynamic_imgsz = parse_hw(p, args.dynamic_imgsz)
    for hw in (args.imgsz, args.dynamic_imgsz):
        if hw[0] % 32 or hw[1] % 32:
            p.error(f"image size {hw} must be a multiple of the max stride 32")
    return args


def parse_hw(parser, text):
    parts = [int(v) for v in text.replace("x", ",").split(",")]
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2 or min(parts) <= 0:
        parser.error(f"bad image size '{text}'")
    return tuple(parts)


def seeded_input(shape):
    """[N,3,H,W] float32 in [0,1); the seed depends only on the shape, so every model sees the same image."""
    gen = torch.Generator().manual_seed(zlib.crc32(repr(tuple(shape)).encode()))
    return torch.rand(*shape, generator=gen)


def export_onnx(model, sample, opset, dynamic):
    """torch.onnx.export exactly as Ultralytics' Exporter.export_onnx() calls it; returns ModelProto.

    The caller has done the exporter's dry run on `sample` (so static exports hold the head's
    anchors/grids as constants) and set the head's dynamic flag.
    """
    axes = None
    if dynamic:
        is_v5 = isinstance(model.head(), replica.DetectV5)
        axes = {
            "images": {0: "batch", 2: "height", 3: "width"},
            "output0": {0: "batch", 1: "anchors"} if is_v5 else {0: "batch", 2: "anchors"},
        }
    buf = io.BytesIO()
    torch.onnx.export(
        model,
        sample,
        buf,
        verbose=False,
        opset_version=opset,
        do_constant_folding=True,
        input_names=["images"],
        output_names=["output0"],
        dynamic_axes=axes,
    )
    return onnx.load_from_string(buf.getvalue())


def add_metadata(proto, name, imgsz, batch):
    """metadata_props as Ultralytics writes them: str() of each value ('names' is a Python dict repr).

    YOLOv5 files come from the YOLOv5 repo's export.py, which writes only 'stride' and 'names'.
    """
    names = {i: n for i, n in enumerate(COCO_NAMES)}
    if name.startswith("yolov5"):
        meta = {"stride": 32, "names": names}
    else:
        meta = {
            "description": f"tilescope replica of Ultralytics {name} (random weights, not a detector)",
            "author": "tilescope tools/gen_replicas.py",
            "license": "AGPL-3.0 License (https://ultralytics.com/license)",
            "stride": 32,
            "task": "detect",
            "batch": batch,
            "imgsz": list(imgsz),
            "names": names,
        }
    for key, value in meta.items():
        prop = proto.metadata_props.add()
        prop.key, prop.value = key, str(value)


def output_parts(name, y):
    """(boxes, scores) views of an output: the parts have different scales and error behaviour."""
    if name.startswith("yolov5"):
        return y[..., :4], y[..., 4:]  # [N, A, 4 + 1 + nc]
    return y[:, :4], y[:, 4:]  # [N, 4 + nc, A]


def run_oracle(name, model, x):
    """Returns (float64 output as float32 numpy, {part: max |PyTorch float32 run - float64 run|})."""
    replica.reset_caches(model)
    with torch.no_grad():
        y32 = model(x).numpy()
        m64 = copy.deepcopy(model).double()
        replica.reset_caches(m64)
        y64 = m64(x.double()).numpy()
    errs = [float(np.abs(a - b).max()) for a, b in zip(output_parts(name, y32), output_parts(name, y64))]
    return y64.astype(np.float32), {"boxes": errs[0], "scores": errs[1]}


def write_case(out, stem, proto, x, y, first_stem):
    """Writes STEM.onnx/.input.npy/.output0.npy; the .npy files hard-link FIRST_STEM's when given."""
    onnx.checker.check_model(proto)
    (out / f"{stem}.onnx").write_bytes(proto.SerializeToString())
    for suffix, array in ((".input.npy", x.numpy()), (".output0.npy", y)):
        path = out / f"{stem}{suffix}"
        path.unlink(missing_ok=True)
        if first_stem is None:
            np.save(path, array)
            continue
        try:
            os.link(out / f"{first_stem}{suffix}", path)  # same data for every opset: save the disk
        except OSError:
            np.save(path, array)


def generation_key(args):
    """Identifies what a run would produce: the generator's sources, the settings and torch's version."""
    here = Path(__file__).resolve().parent
    crc = 0
    for src in (here / "gen_replicas.py", here / "ultralytics_replica.py"):
        crc = zlib.crc32(src.read_bytes(), crc)
    settings = [args.models, args.opsets, args.imgsz, args.batch, args.dynamic_batch, args.dynamic_imgsz,
                torch.__version__, onnx.__version__]
    return f"{zlib.crc32(repr(settings).encode(), crc):08x}"


def up_to_date(out, key):
    """True when `out` holds a complete run with the same key (generation is deterministic)."""
    try:
        manifest = json.loads((out / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    files = [out / c[k] for c in manifest.get("cases", []) for k in ("onnx", "input", "output0")]
    return manifest.get("key") == key and all(f.is_file() for f in files)


def main(argv):
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    key = generation_key(args)
    if not args.force and up_to_date(args.out, key):
        print(f"{args.out}: up to date (key {key}); --force regenerates")
        return 0
    (args.out / "manifest.json").unlink(missing_ok=True)  # a run cut short must not look complete
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    # Tracing warns about Python-side shape logic (exactly what Ultralytics' exports trace too).
    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module="torch.onnx")
    size_tag = str(args.imgsz[0]) if args.imgsz[0] == args.imgsz[1] else f"{args.imgsz[0]}x{args.imgsz[1]}"
    batch_tag = f"_b{args.batch}" if args.batch != 1 else ""
    oracle = "float64"  # every op these models use runs in double in PyTorch's CPU backend
    cases = []
    t_start = time.time()
    for name in args.models:
        t0 = time.time()
        model = replica.build(name, MODEL_SEEDS[name])
        variants = [("", (args.batch, 3, *args.imgsz), False)]
        if args.dynamic_batch > 0:
            variants.append(("_dynamic", (args.dynamic_batch, 3, *args.dynamic_imgsz), True))
        for suffix, shape, dynamic in variants:
            x = seeded_input(shape)
            y, f32_err = run_oracle(name, model, x)
            # A dynamic export's graph does not depend on the traced size: trace it small (fast).
            sample = seeded_input((1, 3, 256, 256) if dynamic else (args.batch, 3, *args.imgsz))
            replica.set_dynamic(model, dynamic)
            replica.reset_caches(model)
            with torch.no_grad():
                model(sample)  # the exporter's dry run
            first_stem = None
            for opset in args.opsets:
                stem = f"{name}_op{opset}_{size_tag}{batch_tag}{suffix}"
                proto = export_onnx(model, sample, opset, dynamic)
                add_metadata(proto, name, args.imgsz, args.batch)
                write_case(args.out, stem, proto, x, y, first_stem)
                first_stem = first_stem or stem
                cases.append({
                    "model": name,
                    "opset": opset,
                    "onnx": f"{stem}.onnx",
                    "input": f"{stem}.input.npy",
                    "output0": f"{stem}.output0.npy",
                    "dynamic": dynamic,
                    "input_shape": list(shape),
                    "output_shape": list(y.shape),
                    "oracle": oracle,
                    "max_abs_output": float(np.abs(y).max()),
                    "max_abs_boxes": float(np.abs(output_parts(name, y)[0]).max()),
                    "torch_float32_max_abs_err": f32_err,
                })
                print(f"{stem}: output {list(y.shape)}, max |y| {np.abs(y).max():.4g}, torch f32 vs {oracle}: "
                      f"boxes {f32_err['boxes']:.3g} ({f32_err['boxes'] / np.abs(y).max():.2g} of max), "
                      f"scores {f32_err['scores']:.3g}")
            replica.set_dynamic(model, False)
        print(f"{name}: {time.time() - t0:.1f} s")
    manifest = {
        "generator": "tools/gen_replicas.py",
        "key": key,
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "oracle": oracle,
        "cases": cases,
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{len(cases)} cases in {args.out} ({time.time() - t_start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
