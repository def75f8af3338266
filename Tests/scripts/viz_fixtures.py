#!/usr/bin/env python3
"""Fixtures for the pooling tests of `featmap pool` (issue 4).

Run from the repository root with the shared data beside it:
    python3 Tests/scripts/viz_fixtures.py ../shared
Writes Tests/FeatMapCLITests/Fixtures/viz/:
  coffee-crop.png         a 42×38 RGB crop of scikit-image's coffee.png (CC0, Rachel Michetti), rows 150..187,
                          columns 300..341: sizes at which ceil mode adds a row and a column
  max-k3-s2-p1-ceil.npy   max pooling 3×3, stride 2, padding 1, ceil mode, float32 [3, Ho, Wo]
  avg-k3-s2-p1-ceil.npy   average pooling, same windows, dividing by the image cells (count_include_pad = 0)
  avg-k2-s3-p1-ceil.npy   average pooling 2×2, stride 3, padding 1, ceil mode: here the last window ceil mode
                          would add starts in the trailing padding and is dropped (38 → 13, not 14)
  max-k2-s2.npy           plain 2×2 max pooling (floor), for the --shift check
  shift.json              for --shift 1,0 and 0,1 with 2×2 max pooling: the fraction of pooled values unchanged
  shift-signed.npy        a [2, 12, 14] float32 array of signed integers, negative along the borders (seeded)
  shift-signed.json       for max pooling (2/2, 3/2 padding 1, 3/1 padding 1) and shifts 1,0 0,1 −1,2 2,−1 of
                          shift-signed.npy: the pooled values a shift with edge pixels repeated leaves unchanged
                          (what --shift documents), and, for contrast, how many a zero-filled shift would leave;
                          the script stops if the two counts are equal
Each reference is computed twice, by a plain NumPy loop written from the definition and by onnxruntime
(MaxPool / AveragePool with ceil_mode), and the script stops if the two disagree.
"""
import json
import math
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper
from PIL import Image

shared = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared")
out = Path("Tests/FeatMapCLITests/Fixtures/viz")
out.mkdir(parents=True, exist_ok=True)

photo = np.asarray(Image.open(shared / "photos/coffee.png").convert("RGB"))
crop = photo[150:188, 300:342]
Image.fromarray(crop).save(out / "coffee-crop.png")
x = crop.astype(np.float32).transpose(2, 0, 1)  # [C, H, W], 0..255


def out_size(n, k, s, p, ceil):
    # PyTorch / onnxruntime: ceil mode rounds up, but a window may not start in the trailing padding.
    o = (math.ceil if ceil else math.floor)((n + 2 * p - k) / s) + 1
    if ceil and (o - 1) * s >= n + p:
        o -= 1
    return o


def pool_numpy(x, op, k, s, p, ceil):
    c, h, w = x.shape
    oh, ow = out_size(h, k, s, p, ceil), out_size(w, k, s, p, ceil)
    y = np.zeros((c, oh, ow), np.float32)
    for i in range(oh):
        for j in range(ow):
            y0, x0 = i * s - p, j * s - p
            win = x[:, max(0, y0):min(h, y0 + k), max(0, x0):min(w, x0 + k)]
            y[:, i, j] = win.max(axis=(1, 2)) if op == "max" else win.mean(axis=(1, 2), dtype=np.float64)
    return y


def pool_onnxruntime(x, op, k, s, p, ceil):
    node = helper.make_node("MaxPool" if op == "max" else "AveragePool", ["x"], ["y"], kernel_shape=[k, k],
                            strides=[s, s], pads=[p] * 4, ceil_mode=int(ceil),
                            **({} if op == "max" else {"count_include_pad": 0}))
    graph = helper.make_graph([node], "pool", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, *x.shape])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)], ir_version=8)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x[None]})[0][0]


for name, op, k, s, p, ceil in [("max-k3-s2-p1-ceil", "max", 3, 2, 1, True), ("avg-k3-s2-p1-ceil", "avg", 3, 2, 1, True),
                                ("avg-k2-s3-p1-ceil", "avg", 2, 3, 1, True), ("max-k2-s2", "max", 2, 2, 0, False)]:
    ref = pool_numpy(x, op, k, s, p, ceil)
    check = pool_onnxruntime(x, op, k, s, p, ceil)
    assert ref.shape == check.shape and np.allclose(ref, check, rtol=1e-6, atol=1e-4), name
    np.save(out / f"{name}.npy", ref)
    print(name, ref.shape)


def shifted(x, dy, dx):
    # Content moves down by dy and right by dx; the uncovered border repeats the edge pixel.
    c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (max(dy, 0), max(-dy, 0)), (max(dx, 0), max(-dx, 0))), mode="edge")
    return padded[:, max(-dy, 0):max(-dy, 0) + h, max(-dx, 0):max(-dx, 0) + w]


fractions = {}
for dy, dx in [(1, 0), (0, 1)]:
    a, b = pool_numpy(x, "max", 2, 2, 0, False), pool_numpy(shifted(x, dy, dx), "max", 2, 2, 0, False)
    fractions[f"{dy},{dx}"] = {"unchanged": int((a == b).sum()), "total": int(a.size), "fraction": float((a == b).mean())}
(out / "shift.json").write_text(json.dumps(fractions, indent=1) + "\n")
print(fractions)


def shifted_zero(x, dy, dx):
    # The same move with the uncovered border set to zero instead: what --shift must NOT do.
    c, h, w = x.shape
    y = np.zeros_like(x)
    ys, xs = slice(max(dy, 0), h + min(dy, 0)), slice(max(dx, 0), w + min(dx, 0))
    y[:, ys, xs] = x[:, max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return y


# Signed data, so that zero fill and repeated edges pool differently: on the coffee crop (all values ≥ 0,
# and the repeated edge cell always sits in a window with the cell it copies) the two cannot be told apart.
# A [2, 12, 14] float32 .npy of integers (seeded): −9…9 inside, the outermost rows and columns −5…−1 and
# the ones next to them −9, so a window over the edge keeps its maximum when the edge is repeated and
# gets 0 when zeros are shifted in.
rng = np.random.default_rng(5)
signed = rng.integers(-9, 10, size=(2, 12, 14)).astype(np.float32)
signed[:, [1, -2], :] = -9
signed[:, :, [1, -2]] = -9
signed[:, [0, -1], :] = rng.integers(-5, 0, size=(2, 2, 14))
signed[:, :, [0, -1]] = rng.integers(-5, 0, size=(2, 12, 2))
np.save(out / "shift-signed.npy", signed)
signed_cases = {}
for op, k, s, p in [("max", 2, 2, 0), ("max", 3, 2, 1), ("max", 3, 1, 1)]:
    for dy, dx in [(1, 0), (0, 1), (-1, 2), (2, -1)]:
        a = pool_numpy(signed, op, k, s, p, False)
        assert np.allclose(a, pool_onnxruntime(signed, op, k, s, p, False), atol=1e-5)
        # Integer sums: float32 means are exact to the last bit in both, so == compares like featmap's.
        replicate, zero = pool_numpy(shifted(signed, dy, dx), op, k, s, p, False), pool_numpy(shifted_zero(signed, dy, dx), op, k, s, p, False)
        unchanged, unchanged_zero = int((a == replicate).sum()), int((a == zero).sum())
        assert unchanged != unchanged_zero, (op, k, dy, dx)
        signed_cases[f"{op}-k{k}-s{s}-p{p} {dy},{dx}"] = {
            "op": op, "size": k, "stride": s, "padding": p, "shift": f"{dy},{dx}", "total": int(a.size),
            "unchanged": unchanged, "fraction": unchanged / a.size, "unchangedIfZeroFilled": unchanged_zero}
(out / "shift-signed.json").write_text(json.dumps(signed_cases, indent=1) + "\n")
print({key: (v["unchanged"], v["unchangedIfZeroFilled"]) for key, v in signed_cases.items()})
