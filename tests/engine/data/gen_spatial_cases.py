#!/usr/bin/python3
"""Generates the PyTorch-oracle cases of tests/engine/reference_spatial_test.cpp.

Each case is one ONNX node (op, opset, attributes) with random inputs and the
output PyTorch computes for the equivalent torch.nn.functional call, in float64.
Written to tests/engine/data/spatial/: cases.json plus one .npy per array
(inputs float32 as the C++ test feeds them, outputs float64 rounded to float32).

The translation ONNX -> torch is spelled out per case below; asymmetric pads
and auto_pad are turned into an explicit F.pad before the torch op, with the
pads computed here independently of the C++ code.

Run with Debian's python (torch 1.13, numpy):  /usr/bin/python3 gen_spatial_cases.py
Deterministic: fixed seed, fixed case list.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "spatial")
rng = np.random.default_rng(20240501)
cases = []


def rand(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def save(name, role, array):
    fname = f"{name}.{role}.npy"
    np.save(os.path.join(OUT_DIR, fname), array)
    return fname


def attr(value):
    """Typed JSON attribute, so the C++ side needs no guessing."""
    if isinstance(value, str):
        return {"string": value}
    if isinstance(value, float):
        return {"float": value}
    if isinstance(value, int):
        return {"int": value}
    if all(isinstance(v, int) for v in value):
        return {"ints": list(value)}
    return {"floats": [float(v) for v in value]}


def add_case(name, op, opset, attrs, inputs, output, tolerance="float32"):
    """inputs: list of (role, array or None, is_constant)."""
    entry = {"name": name, "op": op, "opset": opset, "attrs": {k: attr(v) for k, v in attrs.items()},
             "inputs": [], "output": save(name, "y", output.astype(np.float32)), "tolerance": tolerance}
    for role, array, constant in inputs:
        entry["inputs"].append(None if array is None else {"file": save(name, role, array), "constant": constant})
    cases.append(entry)


def t64(a):
    return torch.from_numpy(a.astype(np.float64))


def torch_pad(pads):
    """ONNX pads [b0, b1, ..., e0, e1, ...] -> F.pad's (last dim first) tuple."""
    r = len(pads) // 2
    out = []
    for d in reversed(range(r)):
        out += [pads[d], pads[d + r]]
    return tuple(out)


def same_pads(in_sizes, kernel, strides, dilations, upper):
    begin, end = [], []
    for i, k, s, d in zip(in_sizes, kernel, strides, dilations):
        out = -(-i // s)
        total = max(0, (out - 1) * s + (k - 1) * d + 1 - i)
        small = total // 2
        b = small if upper else total - small
        begin.append(b)
        end.append(total - b)
    return begin + end


CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def conv_case(name, x_shape, w_shape, group=1, strides=None, pads=None, dilations=None, auto_pad=None,
              bias=True):
    r = len(x_shape) - 2
    strides = strides or [1] * r
    dilations = dilations or [1] * r
    x = rand(*x_shape)
    w = rand(*w_shape, scale=1.0 / math.sqrt(w_shape[1] * np.prod(w_shape[2:])))
    b = rand(w_shape[0]) if bias else None
    attrs = {"strides": strides, "dilations": dilations, "group": group}
    if auto_pad == "VALID":
        attrs["auto_pad"] = auto_pad
        pads_used = [0] * (2 * r)
    elif auto_pad is not None:
        attrs["auto_pad"] = auto_pad
        pads_used = same_pads(x_shape[2:], w_shape[2:], strides, dilations, auto_pad == "SAME_UPPER")
    else:
        pads_used = pads or [0] * (2 * r)
        attrs["pads"] = pads_used
    xp = F.pad(t64(x), torch_pad(pads_used))
    y = CONV[r](xp, t64(w), None if b is None else t64(b), stride=strides, dilation=dilations, groups=group)
    add_case(name, "Conv", 13, attrs,
             [("x", x, False), ("w", w, True), ("b", b, True) if bias else ("b", None, False)], y.numpy())


MAXPOOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
AVGPOOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


def pool_case(name, op, x_shape, kernel, strides, pads, ceil_mode=0, dilations=None, count_include_pad=None):
    """Symmetric pads only: torch's pooling takes one pad per dim."""
    r = len(kernel)
    x = rand(*x_shape)
    attrs = {"kernel_shape": kernel, "strides": strides, "pads": pads + pads, "ceil_mode": ceil_mode}
    if op == "MaxPool":
        dilations = dilations or [1] * r
        attrs["dilations"] = dilations
        y = MAXPOOL[r](t64(x), kernel, strides, pads, dilations, ceil_mode=bool(ceil_mode))
        opset = 12
    else:
        attrs["count_include_pad"] = count_include_pad
        y = AVGPOOL[r](t64(x), kernel, strides, pads, ceil_mode=bool(ceil_mode),
                       count_include_pad=bool(count_include_pad))
        opset = 11
    add_case(name, op, opset, attrs, [("x", x, False)], y.numpy())


def resize_case(name, x_shape, torch_mode, onnx_attrs, sizes=None, scales=None, align_corners=None):
    """Resize-13 with `sizes` (or `scales`) as a constant input."""
    x = rand(*x_shape)
    r = len(x_shape) - 2
    kwargs = {"mode": torch_mode}
    if align_corners is not None:
        kwargs["align_corners"] = align_corners
    if sizes is not None:
        y = F.interpolate(t64(x), size=tuple(sizes), **kwargs)
        sizes_in = np.array(list(x_shape[:2]) + list(sizes), dtype=np.int64)
        inputs = [("x", x, False), ("roi", None, False), ("scales", None, False), ("sizes", sizes_in, True)]
    else:
        y = F.interpolate(t64(x), scale_factor=tuple(scales), **kwargs)
        scales_in = np.array([1.0, 1.0] + list(scales), dtype=np.float32)
        inputs = [("x", x, False), ("roi", None, False), ("scales", scales_in, True)]
    assert y.dim() == r + 2
    add_case(name, "Resize", 13, onnx_attrs, inputs, y.numpy())


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for f in os.listdir(OUT_DIR):
        if f.endswith(".npy") or f == "cases.json":
            os.remove(os.path.join(OUT_DIR, f))

    conv_case("conv2d_k3_p1_bias", [1, 3, 7, 7], [4, 3, 3, 3], pads=[1, 1, 1, 1])
    conv_case("conv2d_k3_s2_asym_pads", [1, 3, 8, 7], [5, 3, 3, 3], strides=[2, 2], pads=[0, 1, 1, 0], bias=False)
    conv_case("conv2d_depthwise_k3", [1, 4, 6, 5], [4, 1, 3, 3], group=4, pads=[1, 1, 1, 1])
    conv_case("conv2d_group2_dil2", [2, 4, 9, 8], [6, 2, 3, 3], group=2, dilations=[2, 2], pads=[2, 2, 2, 2])
    conv_case("conv2d_same_upper_s2", [1, 2, 8, 7], [3, 2, 3, 3], strides=[2, 2], auto_pad="SAME_UPPER")
    conv_case("conv2d_same_lower_k4", [1, 2, 6, 6], [2, 2, 4, 4], auto_pad="SAME_LOWER")
    conv_case("conv2d_valid_k5", [1, 2, 8, 8], [3, 2, 5, 5], auto_pad="VALID")
    conv_case("conv2d_1x1_s2", [1, 8, 6, 6], [4, 8, 1, 1], strides=[2, 2])
    conv_case("conv2d_k2x3_s1x2", [1, 3, 7, 9], [2, 3, 2, 3], strides=[1, 2], pads=[1, 0, 0, 2])
    conv_case("conv1d_k3_s2_p1", [1, 2, 10], [3, 2, 3], strides=[2], pads=[1, 1])
    conv_case("conv3d_k233", [1, 2, 4, 6, 6], [3, 2, 2, 3, 3], strides=[1, 2, 2], pads=[1, 1, 1, 0, 1, 1])

    pool_case("maxpool2d_k3_s2_p1", "MaxPool", [1, 3, 9, 9], [3, 3], [2, 2], [1, 1])
    pool_case("maxpool2d_k5_s1_p2", "MaxPool", [1, 2, 8, 8], [5, 5], [1, 1], [2, 2])
    pool_case("maxpool2d_k3_s2_ceil", "MaxPool", [1, 2, 8, 8], [3, 3], [2, 2], [0, 0], ceil_mode=1)
    pool_case("maxpool2d_k2_s2_p1_ceil_drop", "MaxPool", [1, 1, 7, 7], [2, 2], [2, 2], [1, 1], ceil_mode=1)
    pool_case("maxpool2d_k3_dil2_p1", "MaxPool", [1, 2, 7, 7], [3, 3], [1, 1], [1, 1], dilations=[2, 2])
    pool_case("maxpool1d_k3_s2", "MaxPool", [1, 2, 11], [3], [2], [0])
    pool_case("maxpool3d_k2_s2", "MaxPool", [1, 1, 4, 5, 4], [2, 2, 2], [2, 2, 2], [0, 1, 0])
    pool_case("avgpool2d_k3_p1_exclude_pad", "AveragePool", [1, 3, 6, 6], [3, 3], [1, 1], [1, 1],
              count_include_pad=0)
    pool_case("avgpool2d_k3_p1_include_pad", "AveragePool", [1, 3, 6, 6], [3, 3], [1, 1], [1, 1],
              count_include_pad=1)
    pool_case("avgpool2d_k3_s2_p1_ceil_include_pad", "AveragePool", [1, 2, 8, 8], [3, 3], [2, 2], [1, 1],
              ceil_mode=1, count_include_pad=1)
    pool_case("avgpool2d_k3_s2_p1_ceil_exclude_pad", "AveragePool", [1, 2, 8, 8], [3, 3], [2, 2], [1, 1],
              ceil_mode=1, count_include_pad=0)
    pool_case("avgpool1d_k4_s3_ceil", "AveragePool", [1, 2, 13], [4], [3], [0], ceil_mode=1, count_include_pad=0)
    pool_case("avgpool3d_k2", "AveragePool", [1, 2, 4, 4, 4], [2, 2, 2], [2, 2, 2], [0, 0, 0], count_include_pad=0)

    # torch nearest = ONNX asymmetric + floor; nearest-exact = half_pixel + round_prefer_ceil.
    nearest_floor = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
    resize_case("resize_nearest_sizes_x2", [1, 2, 5, 4], "nearest", nearest_floor, sizes=[10, 8])
    resize_case("resize_nearest_scales_x2x3", [1, 2, 3, 4], "nearest", nearest_floor, scales=[2.0, 3.0])
    resize_case("resize_nearest_down_half", [1, 1, 8, 6], "nearest", nearest_floor, sizes=[4, 3])
    resize_case("resize_nearest_exact", [1, 2, 4, 3], "nearest-exact",
                {"mode": "nearest", "coordinate_transformation_mode": "half_pixel",
                 "nearest_mode": "round_prefer_ceil"}, sizes=[6, 6])
    linear_half = {"mode": "linear", "coordinate_transformation_mode": "half_pixel"}
    linear_corners = {"mode": "linear", "coordinate_transformation_mode": "align_corners"}
    resize_case("resize_bilinear_half_pixel", [1, 2, 4, 5], "bilinear", linear_half, sizes=[7, 9],
                align_corners=False)
    resize_case("resize_bilinear_align_corners", [1, 2, 4, 5], "bilinear", linear_corners, sizes=[7, 9],
                align_corners=True)
    resize_case("resize_bilinear_down", [1, 2, 6, 4], "bilinear", linear_half, sizes=[3, 2], align_corners=False)
    resize_case("resize_bilinear_scales_x2", [1, 3, 3, 4], "bilinear", linear_half, scales=[2.0, 2.0],
                align_corners=False)
    resize_case("resize_linear_1d", [1, 2, 5], "linear", linear_half, sizes=[8], align_corners=False)
    resize_case("resize_trilinear", [1, 1, 3, 4, 5], "trilinear", linear_half, sizes=[5, 6, 4],
                align_corners=False)
    resize_case("resize_bicubic_half_pixel", [1, 1, 4, 5], "bicubic",
                {"mode": "cubic", "coordinate_transformation_mode": "half_pixel", "cubic_coeff_a": -0.75},
                sizes=[7, 6], align_corners=False)
    resize_case("resize_bicubic_align_corners", [1, 1, 4, 5], "bicubic",
                {"mode": "cubic", "coordinate_transformation_mode": "align_corners"}, sizes=[6, 8],
                align_corners=True)

    with open(os.path.join(OUT_DIR, "cases.json"), "w") as f:
        json.dump({"generator": "tests/engine/data/gen_spatial_cases.py", "torch": torch.__version__,
                   "cases": cases}, f, indent=1)
    total = sum(os.path.getsize(os.path.join(OUT_DIR, n)) for n in os.listdir(OUT_DIR))
    print(f"{len(cases)} cases, {total} bytes in {OUT_DIR}")


if __name__ == "__main__":
    main()
