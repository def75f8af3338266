#!/usr/bin/env python3
"""Makes Tests/FeatMapKitTests/Fixtures/pooling: single-operator ONNX MaxPool / AveragePool runs by
onnxruntime (CPU, opset 19) with dilation, padding, ceil mode and count_include_pad, on seeded inputs
with ties, negatives and, for some cases, NaN. Nothing here uses featmap.

Usage: python3 Tests/scripts/pooling_fixtures.py   (from the repository root)
Writes cases.json: one entry per case with its attributes, the input [C, H, W] and onnxruntime's output
[C, Ho, Wo] as flat lists (NaN written as null). Each output is also computed by a plain NumPy loop from
the definition (max: the first in-image tap of the window in row-major order, then every later tap
that compares greater, so a NaN wins only as the first tap; average: the sum over in-image taps divided
by the in-image tap count, or with count_include_pad by the taps inside the padded extent), and the
script stops if onnxruntime and the loop disagree.

What onnxruntime does with NaN in MaxPool (1.32, checked here): for dilated windows (its own loop) the
result is NaN exactly when the window's first in-image tap is NaN, which is featmap's rule; for
undilated windows its MLAS kernel keys on the LAST tap instead (maxps returns its second operand when
either is NaN), so those cases are not written: featmap documents and keeps the first-tap rule (the
test checks it against the definition). AveragePool: any NaN tap makes the window NaN, in both.
"""
import json
import math
import os

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "FeatMapKitTests", "Fixtures", "pooling")


def run_ort(op, x, attrs):
    node = helper.make_node(op, ["x"], ["y"], **attrs)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1] + list(x.shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x[None]})[0][0]


def out_size(n, k, s, d, before, after, ceil):
    span = d * (k - 1) + 1
    o = (math.ceil if ceil else math.floor)((n + before + after - span) / s) + 1
    if ceil and (o - 1) * s >= n + before:
        o -= 1
    return o


def definition(x, op, k, s, d, pads, ceil, include_pad):
    c, h, w = x.shape
    t, l, b, r = pads
    oh, ow = out_size(h, k[0], s[0], d[0], t, b, ceil), out_size(w, k[1], s[1], d[1], l, r, ceil)
    y = np.zeros((c, oh, ow), np.float32)
    for ch in range(c):
        for oy in range(oh):
            for ox in range(ow):
                taps, padded = [], 0
                for ky in range(k[0]):
                    for kx in range(k[1]):
                        iy, ix = oy * s[0] - t + ky * d[0], ox * s[1] - l + kx * d[1]
                        if iy < h + b and ix < w + r:
                            padded += 1
                        if 0 <= iy < h and 0 <= ix < w:
                            taps.append(x[ch, iy, ix])
                if not taps:
                    continue
                if op == "max":
                    best = taps[0]
                    for v in taps[1:]:
                        if v > best:
                            best = v
                    y[ch, oy, ox] = best
                else:
                    y[ch, oy, ox] = np.float32(np.sum(np.array(taps, np.float64)) / (padded if include_pad else len(taps)))
    return y


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20)
    cases = []
    specs = [
        # op, (c, h, w), kernel, stride, dilation, pads (top, left, bottom, right), ceil, count_include_pad, nan
        ("max", (2, 13, 17), (3, 3), (1, 1), (2, 2), (0, 0, 0, 0), 0, 0, False),
        ("max", (2, 13, 17), (3, 2), (2, 1), (2, 3), (2, 1, 1, 1), 0, 0, False),
        ("max", (2, 14, 15), (3, 3), (2, 2), (2, 2), (1, 1, 1, 1), 1, 0, False),
        ("max", (1, 12, 19), (2, 3), (3, 2), (3, 2), (1, 2, 0, 1), 1, 0, False),
        ("max", (2, 13, 17), (3, 3), (1, 2), (2, 2), (1, 1, 1, 1), 0, 0, True),
        ("max", (1, 16, 16), (2, 2), (2, 2), (2, 2), (1, 1, 1, 1), 1, 0, True),
        ("average", (2, 13, 17), (3, 3), (1, 1), (2, 2), (0, 0, 0, 0), 0, 0, False),
        ("average", (2, 13, 17), (3, 3), (2, 2), (2, 2), (1, 1, 1, 1), 0, 0, False),
        ("average", (2, 13, 17), (3, 3), (2, 2), (2, 2), (1, 1, 1, 1), 0, 1, False),
        ("average", (2, 14, 15), (3, 2), (2, 3), (2, 2), (2, 1, 1, 1), 1, 0, False),
        ("average", (2, 14, 15), (3, 2), (2, 3), (2, 2), (2, 1, 1, 1), 1, 1, False),
        ("average", (1, 12, 19), (2, 3), (3, 2), (3, 2), (1, 2, 0, 1), 1, 1, False),
        ("average", (2, 13, 17), (3, 3), (2, 1), (1, 2), (1, 1, 1, 1), 0, 1, True),
        ("average", (2, 13, 17), (2, 2), (1, 1), (1, 1), (0, 0, 0, 0), 0, 0, True),
    ]
    for op, shape, k, s, d, pads, ceil, include_pad, nan in specs:
        x = rng.integers(-40, 40, size=shape).astype(np.float32) / 4  # quarters: ties, exact sums
        if nan:
            flat = x.reshape(-1)
            flat[rng.choice(flat.size, size=flat.size // 12, replace=False)] = np.nan
        attrs = {"kernel_shape": list(k), "strides": list(s), "dilations": list(d), "pads": list(pads), "ceil_mode": ceil}
        if op == "average":
            attrs["count_include_pad"] = include_pad
        got = run_ort("MaxPool" if op == "max" else "AveragePool", x, attrs)
        want = definition(x, op, k, s, d, pads, ceil, include_pad)
        assert got.shape == want.shape, (op, shape, got.shape, want.shape)
        same = np.isnan(got) == np.isnan(want)
        assert same.all() and np.allclose(np.nan_to_num(got), np.nan_to_num(want), atol=1e-6), (op, k, s, d, pads)
        if nan:
            assert np.isnan(got).any() and not np.isnan(got).all()
        cid = f"{op}-k{k[0]}x{k[1]}-s{s[0]}x{s[1]}-d{d[0]}x{d[1]}-p{'.'.join(map(str, pads))}" \
              f"{'-ceil' if ceil else ''}{'-includepad' if include_pad else ''}{'-nan' if nan else ''}"
        def flat(a):
            return [None if math.isnan(v) else float(v) for v in a.reshape(-1)]
        cases.append({"id": cid, "op": op, "shape": list(shape), "kernel": list(k), "stride": list(s),
                      "dilation": list(d), "pads": list(pads), "ceil": bool(ceil), "countIncludePad": bool(include_pad),
                      "input": flat(x), "outputShape": list(got.shape), "output": flat(got)})
    # Evidence for the docstring: undilated MaxPool in onnxruntime keys NaN on the last tap.
    probe = np.array([[[1, np.nan, np.nan, 3, 5, np.nan, 2]]], np.float32)
    mlas = run_ort("MaxPool", probe, {"kernel_shape": [1, 2], "strides": [1, 1]})
    assert np.isnan(mlas[0, 0, 0]) and mlas[0, 0, 2] == 3, mlas
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"onnxruntime": ort.__version__, "cases": cases}, f)
    print(len(cases), "cases,", os.path.getsize(os.path.join(OUT, "cases.json")) // 1024, "KiB")


if __name__ == "__main__":
    main()
