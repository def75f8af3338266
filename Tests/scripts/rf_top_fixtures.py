#!/usr/bin/env python3
"""Makes Tests/FeatMapCLITests/Fixtures/rf/top.json: the K strongest units of LeNet-5's conv2 on
samples/digit.png, computed by onnxruntime and NumPy, for `featmap rf --top K`. Nothing here uses featmap.

Usage: python3 Tests/scripts/rf_top_fixtures.py [../shared]   (from the repository root)
The model is lenet5-mnist.onnx (MIT, ccoltong1215; the one samples/lenet.weights was converted from, see
samples/LICENSE-models.md), read from Tests/FeatMapKitTests/Fixtures/models/. The input is the 28×28 digit
scaled to 0…1 and normalised as (x − 0.1307)/0.3081, as the .weights file's preprocessing says. conv2's
output is ONNX tensor "14" (before its ReLU), [1, 16, 10, 10]. For channel 5 alone and for all channels,
NumPy's argsort (stable, descending; ties: lower flat index first) gives the K = 8 largest as
(channel, y, x, value); the script stops if two of the nine largest are closer than 1e-3, so float
rounding cannot reorder them. Each unit's receptive field is also worked out from the recurrences of
Araujo, Norris and Sim (Distill 2019): conv1 5×5 pad 2 → pool 2/2 → conv2 5×5: r = 1 + 4 + 1·2 + 4·2 = 14,
jump j = 2, start = y·2 − 2 (the leading padding 2 of conv1 in input pixels), rows start … start + 13.
"""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "Tests", "FeatMapCLITests", "Fixtures", "rf")


def main():
    model = onnx.load(os.path.join(ROOT, "Tests", "FeatMapKitTests", "Fixtures", "models", "lenet5-mnist.onnx"))
    model.graph.output.append(onnx.helper.make_tensor_value_info("14", onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    digit = np.asarray(Image.open(os.path.join(ROOT, "samples", "digit.png")).convert("L"), np.float32)
    x = ((digit / 255 - 0.1307) / 0.3081).astype(np.float32)[None, None]
    name = session.get_inputs()[0].name
    batch = session.get_inputs()[0].shape[0]
    feed = np.repeat(x, batch if isinstance(batch, int) else 1, axis=0)
    conv2 = session.run(["14"], {name: feed})[0][0]
    assert conv2.shape == (16, 10, 10), conv2.shape
    k, result = 8, {}
    for key, channels in [("5", [5]), ("all", list(range(16)))]:
        values = conv2[channels].reshape(-1)
        order = np.argsort(-values, kind="stable")
        top = values[order[: k + 1]]
        assert np.all(np.diff(top) < -1e-3), top
        units = []
        for i in order[:k]:
            c, rest = divmod(int(i), 100)
            y, xx = divmod(rest, 10)
            units.append({"channel": channels[c], "y": y, "x": xx, "value": float(values[i]),
                          "rows": [2 * y - 2, 2 * y - 2 + 13], "columns": [2 * xx - 2, 2 * xx - 2 + 13]})
        result[key] = units
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "top.json"), "w") as f:
        json.dump(result, f, indent=1)
    print({key: [(u["channel"], u["y"], u["x"], round(u["value"], 4)) for u in v] for key, v in result.items()})


if __name__ == "__main__":
    main()
