#!/usr/bin/env python3
"""NumPy + onnxruntime references for `featmap shift`: LeNet-5's accuracy on shifted MNIST test digits,
and its per-layer equivariance and invariance errors on one digit.

Run from the repository root:  python3 Tests/scripts/shift_fixtures.py ../shared   (the shared folder)

Reads shared/models/lenet5/lenet5-mnist.onnx (LeNet-5, MIT, Copyright (c) 2020 ccoltong1215) and
shared/data/mnist/t10k-{images-idx3,labels-idx1}-ubyte.gz, and writes:

  Tests/FeatMapKitTests/Fixtures/mnist/t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz
      The whole MNIST test set, copied byte for byte (10,000 digits), so that CI needs no shared folder.

  Tests/FeatMapKitTests/Fixtures/mnist/shift-reference.json
      "accuracy": for each shift d in -4..4 along x, for the first 1,000 digits ("first1000") and for all
      10,000 ("all"): [{"shift", "correct", "total", "accuracy"}]. Each digit (28x28, unchanged: MNIST's
      digits already have the input size) is moved d px right, out[y][x] = in[y][x - d], the uncovered
      columns 0 (black, before normalisation), then normalised as (x/255 - 0.1307)/0.3081 and run through
      onnxruntime (batch axis made symbolic; the Reshape uses -1); correct = argmax equals the label.
      "digit": for test digit 0 (label 7), shifts -4..4 along x, zero fill: per feature-map layer (Conv,
      Relu, MaxPool before the Reshape; "name" the ONNX output name, "op") the layer's receptive field
      (size, jump, padding per axis from the nodes' kernel/stride/pads by Araujo et al.'s recurrences),
      "equivariance_error" ||f(shift_d x)[U] - f(x)[U - d/J]|| / ||f(x)[U - d/J]|| over the cells U whose
      fields lie inside the 28x28 image, and so do the fields of U - d/J (null where d % J != 0 or no cell
      qualifies), "invariance_error" ||f(shift_d x) - f(x)|| / ||f(x)|| over the whole map, and "top"
      [{"shift", "class", "probability"}]. Sums in float64.
"""
import gzip
import json
import os
import shutil
import sys

import numpy as np
import onnx
import onnxruntime as ort

MEAN, STD = 0.1307, 0.3081
SHIFTS = list(range(-4, 5))


def idx(path):
    data = gzip.open(path).read()
    magic = int.from_bytes(data[0:4], "big")
    if magic == 2051:
        n, h, w = (int.from_bytes(data[4 + 4 * k: 8 + 4 * k], "big") for k in range(3))
        return np.frombuffer(data, np.uint8, offset=16).reshape(n, h, w)
    assert magic == 2049
    return np.frombuffer(data, np.uint8, offset=8)


def shifted(images, d):
    out = np.zeros_like(images)
    if d > 0:
        out[..., d:] = images[..., :-d]
    elif d < 0:
        out[..., :d] = images[..., -d:]
    else:
        out[...] = images
    return out


def session(model, outputs=None):
    m = onnx.load(model)
    m.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "N"
    m.graph.output[0].type.tensor_type.shape.dim[0].dim_param = "N"
    if outputs:
        known = {o.name for o in m.graph.output}
        for name in outputs:
            if name not in known:
                m.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    o = ort.SessionOptions()
    o.log_severity_level = 3
    o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return m, ort.InferenceSession(m.SerializeToString(), o, providers=["CPUExecutionProvider"])


def normalised(u8):
    return ((u8.astype(np.float32) / 255 - MEAN) / STD).astype(np.float32)[:, None, :, :]


def feature_layers(m):
    """Conv/Relu/MaxPool nodes before the Reshape, with their fields (size r, jump J, padding P) per axis."""
    field = {m.graph.input[0].name: ((1, 1), (1, 1), (0, 0))}
    layers = []
    for n in m.graph.node:
        if n.op_type in ("Reshape", "Flatten", "Gemm"):
            break
        if not n.input:  # a Constant
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        r, J, P = field[n.input[0]]
        if n.op_type in ("Conv", "MaxPool"):
            k, s = attrs["kernel_shape"], attrs.get("strides", [1, 1])
            pads = attrs.get("pads", [0, 0, 0, 0])
            r = tuple(r[a] + (k[a] - 1) * J[a] for a in range(2))
            P = tuple(P[a] + pads[a] * J[a] for a in range(2))
            J = tuple(J[a] * s[a] for a in range(2))
        field[n.output[0]] = (r, J, P)
        layers.append({"name": n.output[0], "op": n.op_type, "size": list(r), "jump": list(J), "padding": list(P)})
    return layers


def inside(n, jump, pad, size, k, image):
    return [u for u in range(n) if 0 <= u - k < n
            and u * jump - pad >= 0 and u * jump - pad + size - 1 <= image - 1
            and (u - k) * jump - pad >= 0 and (u - k) * jump - pad + size - 1 <= image - 1]


def main():
    shared = sys.argv[1] if len(sys.argv) > 1 else "../shared"
    model = os.path.join(shared, "models/lenet5/lenet5-mnist.onnx")
    mnist = os.path.join(shared, "data/mnist")
    out_dir = "Tests/FeatMapKitTests/Fixtures/mnist"
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copyfile(os.path.join(mnist, name), os.path.join(out_dir, name))
    images = idx(os.path.join(mnist, "t10k-images-idx3-ubyte.gz"))
    labels = idx(os.path.join(mnist, "t10k-labels-idx1-ubyte.gz"))

    m, sess = session(model)
    inp = sess.get_inputs()[0].name
    accuracy = {"first1000": [], "all": []}
    for d in SHIFTS:
        moved = shifted(images, d)
        pred = np.concatenate([sess.run(None, {inp: normalised(moved[i:i + 1000])})[0].argmax(axis=1)
                               for i in range(0, len(moved), 1000)])
        ok = pred == labels
        for key, n in (("first1000", 1000), ("all", len(labels))):
            c = int(ok[:n].sum())
            accuracy[key].append({"shift": d, "correct": c, "total": n, "accuracy": c / n})
        print(f"shift {d:+d}: {ok.sum()}/{len(ok)} = {ok.mean():.4f}")

    layers = feature_layers(m)
    m2, sess2 = session(model, [l["name"] for l in layers])
    names = [o.name for o in sess2.get_outputs()]
    digit = images[0:1]

    def run(u8):
        values = sess2.run(None, {inp: normalised(u8)})
        return dict(zip(names, values))

    base = run(digit)
    for l in layers:
        l["equivariance_error"], l["invariance_error"] = [], []
    top = []
    for d in SHIFTS:
        now = run(shifted(digit, d))
        for l in layers:
            a = base[l["name"]][0].astype(np.float64)
            b = now[l["name"]][0].astype(np.float64)
            inv = np.linalg.norm(b - a) / np.linalg.norm(a) if np.linalg.norm(a) > 0 else None
            l["invariance_error"].append(inv)
            jy, jx = l["jump"]
            eq = None
            if d % jx == 0:
                k = d // jx
                _, h, w = a.shape
                rows = inside(h, jy, l["padding"][0], l["size"][0], 0, 28)
                cols = inside(w, jx, l["padding"][1], l["size"][1], k, 28)
                if rows and cols:
                    sa = a[:, rows][:, :, [c - k for c in cols]]
                    sb = b[:, rows][:, :, cols]
                    nrm = np.linalg.norm(sa)
                    eq = float(np.linalg.norm(sb - sa) / nrm) if nrm > 0 else None
            l["equivariance_error"].append(eq)
        p = now["output_0"][0]
        top.append({"shift": d, "class": int(p.argmax()), "probability": float(p.max())})
    reference = {"model": "lenet5-mnist.onnx", "normalisation": [MEAN, STD], "fill": "zero", "axis": "x",
                 "shifts": SHIFTS, "accuracy": accuracy,
                 "digit": {"index": 0, "label": int(labels[0]), "layers": layers, "top": top}}
    with open(os.path.join(out_dir, "shift-reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
