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
