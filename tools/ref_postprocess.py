#!/usr/bin/python3
"""Reference post-processing (decode + NMS + scale_boxes) for tests/detect, in numpy/torch.

Run with Debian's python (numpy, torch 1.13; torchvision is not installed, so NMS is written here):

    /usr/bin/python3 tools/ref_postprocess.py --out build/detect_ref [--replicas build/replicas]

Writes into --out:

    <case>.<k>.npy   raw model outputs (float32), k = output index
    cases.json       every case: head, output files, input and image sizes, options, and the
                     expected detections per image, in input pixels and in image pixels

Cases: seeded random outputs shaped like YOLOv8 [B, 4+nc, N], YOLOv5 [B, N, 5+nc] and NanoDet-m
(six outputs, TF.js order), with clustered boxes so NMS has work, exact score ties, duplicate and
zero-area boxes; with --replicas, also the PyTorch outputs of tools/gen_replicas.py (manifest.json).

Semantics followed (not the C++ code): Ultralytics' non_max_suppression (ultralytics/utils/ops.py,
multi_label=False) and YOLOv5's (yolov5/utils/general.py): candidates with score > conf (YOLOv5:
objectness > conf first, score = objectness * class), best class by argmax (first on ties),
classes filter, top max_nms by score, per-class greedy NMS dropping IoU > iou (torchvision.ops.nms),
max_det; then scale_boxes + clip_boxes with the letterbox's rounding. Deliberate choices, which
tilescope's C++ shares:
  * ties in score are ranked by candidate index (stable sort); torchvision leaves them unspecified;
  * IoU in float64 per class; Ultralytics shifts boxes by class * 7680 in float32, which rounds the
    shifted corners (ulp 0.06 px at class 79) and can flip a decision within ~1e-4 of the threshold;
  * NanoDet: single-label (best class per cell), centre (x + 0.5) * stride, softmax expectation in
    float64, boxes clamped to the input (nanodet gfl_head.py v0.x).
"""
import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

NANODET_STRIDES = (8, 16, 32, 64, 128)


# --------------------------------------------------------------------------- decode


def xywh2xyxy(x):
    """Ultralytics ops.xywh2xyxy, float32 torch: corners = centre -/+ size / 2."""
    y = torch.empty_like(x)
    xy = x[..., :2]
    wh = x[..., 2:] / 2
    y[..., :2] = xy - wh
    y[..., 2:] = xy + wh
    return y


def best_class(cls):
    """(score, class) per row; numpy argmax takes the first of equal maxima."""
    cls = np.asarray(cls)
    j = np.argmax(cls, axis=1)
    return cls[np.arange(cls.shape[0]), j], j


def candidates_yolov8(out, b, conf):
    x = torch.from_numpy(out[b]).T  # [N, 4 + nc]
    score, j = best_class(x[:, 4:].numpy())
    keep = score > conf
    boxes = xywh2xyxy(x[:, :4]).numpy()
    return boxes[keep], score[keep], j[keep]


def candidates_yolov5(out, b, conf):
    x = torch.from_numpy(out[b])  # [N, 5 + nc]
    x = x[x[:, 4] > conf]  # xc: objectness first
    cls = x[:, 5:] * x[:, 4:5]  # float32, as x[:, 5:] *= x[:, 4:5]
    score, j = best_class(cls.numpy())
    keep = score > conf
    boxes = xywh2xyxy(x[:, :4]).numpy()
    return boxes[keep], score[keep], j[keep]


def nanodet_levels(outputs, num_classes):
    """[(stride_cells, scores, boxes)] finest first; pairs matched by cell count, scores by nc."""
    by_cells = {}
    for o in outputs:
        by_cells.setdefault(o.shape[1], []).append(o)
    levels = []
    for cells in sorted(by_cells, reverse=True):
        a, b = by_cells[cells]
        scores, boxes = (a, b) if a.shape[2] == num_classes else (b, a)
        levels.append((cells, scores, boxes))
    return levels


def candidates_nanodet(outputs, b, conf, input_hw, num_classes=80):
    h_in, w_in = input_hw
    all_boxes, all_scores, all_cls = [], [], []
    for cells, scores, boxes in nanodet_levels(outputs, num_classes):
        stride = next(s for s in NANODET_STRIDES if math.ceil(h_in / s) * math.ceil(w_in / s) == cells)
        grid_w = math.ceil(w_in / stride)
        score, j = best_class(scores[b])
        idx = np.nonzero(score > conf)[0]
        bins = boxes.shape[2] // 4
        logits = boxes[b][idx].reshape(-1, 4, bins).astype(np.float64)
        e = np.exp(logits - logits.max(axis=2, keepdims=True))
        dist = (e * np.arange(bins)).sum(axis=2) / e.sum(axis=2) * stride  # [n, 4] l, t, r, b
        cx = (idx % grid_w + 0.5) * stride
        cy = (idx // grid_w + 0.5) * stride
        xyxy = np.stack([
            np.clip(cx - dist[:, 0], 0, w_in), np.clip(cy - dist[:, 1], 0, h_in),
            np.clip(cx + dist[:, 2], 0, w_in), np.clip(cy + dist[:, 3], 0, h_in)], axis=1)
        all_boxes.append(xyxy.astype(np.float32))
        all_scores.append(score[idx])
        all_cls.append(j[idx])
    return np.concatenate(all_boxes), np.concatenate(all_scores), np.concatenate(all_cls)


# --------------------------------------------------------------------------- NMS


def greedy_nms(boxes64, thr):
    """Indices kept by torchvision-style greedy NMS over boxes already ranked best first."""
    x1, y1, x2, y2 = boxes64.T
    areas = (x2 - x1) * (y2 - y1)
    keep = []
    idx = np.arange(len(boxes64))
    with np.errstate(invalid="ignore", divide="ignore"):
        while idx.size:
            i, rest = idx[0], idx[1:]
            keep.append(i)
            w = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]))
            h = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]))
            inter = w * h
            ovr = inter / (areas[i] + areas[rest] - inter)
            idx = rest[~(ovr > thr)]  # NaN (two empty boxes) does not suppress
    return np.array(keep, dtype=np.int64)


def nms(boxes, scores, cls, opt):
    """Returns rows [x1, y1, x2, y2, score, class] kept, best first."""
    if opt["classes"]:
        m = np.isin(cls, opt["classes"])
        boxes, scores, cls = boxes[m], scores[m], cls[m]
    order = np.argsort(-scores, kind="stable")[: opt["max_nms"]]
    boxes, scores, cls = boxes[order], scores[order], cls[order]
    groups = [np.arange(len(cls))] if opt["agnostic"] else [np.nonzero(cls == c)[0] for c in np.unique(cls)]
    kept = [g[greedy_nms(boxes[g].astype(np.float64), opt["iou"])] for g in groups if g.size]
    kept = np.sort(np.concatenate(kept)) if kept else np.zeros(0, np.int64)
    kept = kept[: opt["max_det"]]
    return [[*map(float, boxes[k]), float(scores[k]), int(cls[k])] for k in kept]


def scale_boxes(rows, input_hw, image_hw):
    """Ultralytics ops.scale_boxes (pad from the rounded new_unpad) + clip_boxes, in float64."""
    gain = min(input_hw[0] / image_hw[0], input_hw[1] / image_hw[1])
    pad_x = round((input_hw[1] - round(image_hw[1] * gain)) / 2 - 0.1)
    pad_y = round((input_hw[0] - round(image_hw[0] * gain)) / 2 - 0.1)
    out = []
    for x1, y1, x2, y2, s, c in rows:
        xs = [min(max((v - pad_x) / gain, 0.0), image_hw[1]) for v in (x1, x2)]
        ys = [min(max((v - pad_y) / gain, 0.0), image_hw[0]) for v in (y1, y2)]
        out.append([float(np.float32(xs[0])), float(np.float32(ys[0])), float(np.float32(xs[1])),
                    float(np.float32(ys[1])), s, c])
    return out


def postprocess(head, outputs, input_hw, image_hws, opt):
    batch = outputs[0].shape[0]
    per_image_input, per_image_image = [], []
    for b in range(batch):
        if head == "yolov8":
            cand = candidates_yolov8(outputs[0], b, opt["conf"])
        elif head == "yolov5":
            cand = candidates_yolov5(outputs[0], b, opt["conf"])
        else:
            cand = candidates_nanodet(outputs, b, opt["conf"], input_hw)
        rows = nms(*cand, opt)
        per_image_input.append(rows)
        per_image_image.append(scale_boxes(rows, input_hw, image_hws[b]))
    return per_image_input, per_image_image


# --------------------------------------------------------------------------- synthetic outputs


def anchors_for(input_hw):
    return sum((input_hw[0] // s) * (input_hw[1] // s) for s in (8, 16, 32))


def clustered_boxes(rng, n, input_hw, nc, objects=25):
    """n boxes (cx, cy, w, h) and class scores [n, nc]: ~40% jittered copies of a few objects
    with a clear class, the rest background with low scores, a few above 0.25."""
    h_in, w_in = input_hw
    obj_wh = rng.uniform(4, min(h_in, w_in) / 3, size=(objects, 2))
    obj_c = np.stack([rng.uniform(0, w_in, objects), rng.uniform(0, h_in, objects)], 1)
    obj_cls = rng.integers(0, nc, objects)
    owner = np.where(rng.random(n) < 0.4, rng.integers(0, objects, n), -1)
    xywh = np.empty((n, 4))
    xywh[:, :2] = np.stack([rng.uniform(0, w_in, n), rng.uniform(0, h_in, n)], 1)
    xywh[:, 2:] = rng.uniform(2, min(h_in, w_in) / 4, size=(n, 2))
    scores = rng.uniform(0, 0.3, size=(n, nc)) ** 3
    fg = owner >= 0
    o = owner[fg]
    xywh[fg, :2] = obj_c[o] + rng.normal(0, 0.08, (fg.sum(), 2)) * obj_wh[o]
    xywh[fg, 2:] = obj_wh[o] * rng.uniform(0.8, 1.25, (fg.sum(), 2))
    scores[np.nonzero(fg)[0], obj_cls[o]] = rng.uniform(0.1, 0.95, fg.sum())
    # A second plausible class on some foreground boxes, so class choice matters.
    alt = np.nonzero(fg & (rng.random(n) < 0.3))[0]
    scores[alt, rng.integers(0, nc, alt.size)] = rng.uniform(0.1, 0.9, alt.size)
    return xywh.astype(np.float32), scores.astype(np.float32)


def add_ties(xywh, scores, rng):
    """Exact duplicates (same box, score, class), equal scores on distinct boxes, zero-area boxes."""
    n = len(xywh)
    src = rng.choice(n, 12, replace=False)
    dst = rng.choice(np.setdiff1d(np.arange(n), src), 12, replace=False)
    xywh[dst], scores[dst] = xywh[src], scores[src]
    same = rng.choice(np.setdiff1d(np.arange(n), np.concatenate([src, dst])), 20, replace=False)
    scores[same, 0] = 0.625
    zero = rng.choice(n, 8, replace=False)
    xywh[zero, 2] = 0.0
    return xywh, scores


def yolov8_output(rng, batch, input_hw, nc, ties=False):
    n = anchors_for(input_hw)
    out = np.empty((batch, 4 + nc, n), np.float32)
    for b in range(batch):
        xywh, scores = clustered_boxes(rng, n, input_hw, nc)
        if ties:
            xywh, scores = add_ties(xywh, scores, rng)
        out[b, :4], out[b, 4:] = xywh.T, scores.T
    return out


def yolov5_output(rng, batch, input_hw, nc):
    n = 3 * anchors_for(input_hw)
    out = np.empty((batch, n, 5 + nc), np.float32)
    for b in range(batch):
        xywh, scores = clustered_boxes(rng, n, input_hw, nc)
        obj = np.clip(scores.max(1) * rng.uniform(0.8, 1.6, n), 0, 1).astype(np.float32)
        cls = np.clip(scores / np.maximum(obj[:, None], 1e-3), 0, 1).astype(np.float32)
        out[b, :, :4], out[b, :, 4], out[b, :, 5:] = xywh, obj, cls
    return out


def nanodet_outputs(rng, input_hw, nc=80, bins=11):
    """TF.js order: scores for strides 8, 16, 32, then box logits for 8, 16, 32."""
    cells = [math.ceil(input_hw[0] / s) * math.ceil(input_hw[1] / s) for s in (8, 16, 32)]
    scores = []
    for c in cells:
        s = rng.uniform(0, 0.2, (1, c, nc)) ** 2
        hot = rng.random(c) < 0.05
        s[0, hot, rng.integers(0, nc, hot.sum())] = rng.uniform(0.2, 0.9, hot.sum())
        scores.append(s.astype(np.float32))
    boxes = [rng.normal(0, 2.0, (1, c, 4 * bins)).astype(np.float32) for c in cells]
    return scores + boxes


# --------------------------------------------------------------------------- cases


IMAGE_SIZES = [(576, 768), (480, 640), (1080, 1920), (333, 500), (640, 427)]


def options(**kw):
    opt = {"conf": 0.25, "iou": 0.45, "max_det": 300, "agnostic": False, "classes": [], "max_nms": 30000}
    opt.update(kw)
    return opt


def synthetic_cases(rng):
    v8 = yolov8_output(rng, 2, (320, 320), 80)
    v8_ties = yolov8_output(rng, 1, (256, 320), 80, ties=True)
    v5 = yolov5_output(rng, 2, (320, 256), 80)
    small = yolov8_output(rng, 1, (160, 160), 3)
    nano = nanodet_outputs(rng, (416, 416))
    return [
        ("yolov8_b2", "yolov8", [v8], (320, 320), options()),
        ("yolov8_agnostic_maxdet", "yolov8", [v8], (320, 320), options(agnostic=True, max_det=10, iou=0.5)),
        ("yolov8_classes_maxnms", "yolov8", [v8], (320, 320), options(conf=0.1, classes=[0, 2, 5, 17], max_nms=200)),
        ("yolov8_low_iou", "yolov8", [v8], (320, 320), options(conf=0.05, iou=0.2)),
        ("yolov8_ties", "yolov8", [v8_ties], (256, 320), options(conf=0.2)),
        ("yolov8_nc3", "yolov8", [small], (160, 160), options(conf=0.3, iou=0.6)),
        ("yolov5_b2", "yolov5", [v5], (320, 256), options()),
        ("yolov5_agnostic", "yolov5", [v5], (320, 256), options(agnostic=True, conf=0.4)),
        ("nanodet_416", "nanodet", nano, (416, 416), options(conf=0.35, iou=0.6, max_det=100)),
    ]


def replica_cases(replicas):
    manifest = replicas / "manifest.json"
    if not manifest.is_file():
        print(f"{manifest}: not found; no replica cases")
        return []
    cases, seen = [], set()
    for c in json.loads(manifest.read_text())["cases"]:
        if (c["model"], c["dynamic"]) in seen:  # other opsets: the same PyTorch output
            continue
        seen.add((c["model"], c["dynamic"]))
        out = np.load(replicas / c["output0"])
        head = "yolov5" if c["model"].startswith("yolov5") else "yolov8"
        stem = Path(c["output0"]).name.replace(".output0.npy", "")
        cases.append((f"replica_{stem}", head, [out], tuple(c["input_shape"][2:]), options()))
    return cases


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--replicas", type=Path, help="tools/gen_replicas.py output folder")
    p.add_argument("--replicas-only", action="store_true", help="only the replica cases")
    p.add_argument("--seed", type=int, default=20240603)
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    cases = [] if args.replicas_only else synthetic_cases(np.random.default_rng(args.seed))
    if args.replicas:
        cases += replica_cases(args.replicas)
    records = []
    for name, head, outputs, input_hw, opt in cases:
        files = []
        for k, o in enumerate(outputs):
            files.append(f"{name}.{k}.npy")
            np.save(args.out / files[-1], o)
        batch = outputs[0].shape[0]
        image_hws = [IMAGE_SIZES[(len(records) + b) % len(IMAGE_SIZES)] for b in range(batch)]
        expected_input, expected_image = postprocess(head, outputs, input_hw, image_hws, opt)
        records.append({
            "name": name, "head": head, "outputs": files, "input_hw": list(input_hw),
            "image_hw": [list(s) for s in image_hws], "options": opt,
            "expected_input": expected_input, "expected_image": expected_image,
        })
        counts = [len(r) for r in expected_input]
        print(f"{name}: {head} {[list(o.shape) for o in outputs]} -> detections per image {counts}")
    manifest = "replica_cases.json" if args.replicas_only else "cases.json"
    (args.out / manifest).write_text(json.dumps({"generator": "tools/ref_postprocess.py", "cases": records}) + "\n")
    print(f"{len(records)} cases in {args.out / manifest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
