"""The nine classic architectures of the ONNX model zoo, as the onnx wheel ships them in
onnx/backend/test/data/light/ (Apache-2.0, the onnx project): AlexNet, ZFNet-512, VGG-19, GoogLeNet
(inception_v1), Inception v2, ResNet-50, DenseNet-121, ShuffleNet and SqueezeNet. Their weights are
ConstantOfShape nodes filling each tensor with one value; here every such tensor gets deterministic
pseudo-random values instead (`zoo_values`, the same rule as ZooWeights in
Tests/FeatMapKitTests/ZooModelTests.swift, exact in both languages: integer hashing, then one float
multiply-add), and onnxruntime computes every node output on a deterministic input.

Writes Tests/FeatMapKitTests/Fixtures/zoo/NAME.onnx (the light model as shipped) and NAME.safetensors:
`input` [1, 3, 224, 224]; for every node output V: `V/stats` [min, mean, max, L2] and `V/samples` (64 values
at flat indices i·(n − 1) ÷ 63, i = 0…63, in integer arithmetic); `output` (the classifier's
probabilities, complete).
Run: python3 Tests/scripts/zoo_fixtures.py  (onnx, onnxruntime, numpy, safetensors)
"""
import os
import shutil

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "FeatMapKitTests", "Fixtures", "zoo")
LIGHT = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
NAMES = ["bvlc_alexnet", "zfnet512", "vgg19", "inception_v1", "inception_v2", "resnet50", "densenet121",
         "shufflenet", "squeezenet"]
MASK = (1 << 64) - 1


def fnv1a(text):
    h = 0xCBF29CE484222325
    for b in text.encode():
        h = ((h ^ b) * 0x100000001B3) & MASK
    return h


def uniform(name, count):
    """count values in [−1, 1): splitmix64 of (hash(name) + i), its top 24 bits over 2^23, minus 1."""
    i = np.arange(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = (np.uint64(fnv1a(name)) + i * np.uint64(0x9E3779B97F4A7C15)) & np.uint64(MASK)
        z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & np.uint64(MASK)
        z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & np.uint64(MASK)
        z = z ^ (z >> np.uint64(31))
    top = (z >> np.uint64(40)).astype(np.int64)            # 24 bits
    return (top.astype(np.float32) / np.float32(8388608.0)) - np.float32(1.0)


def role(graph, name):
    """How a filled tensor is used: (op, input index, the reader node) of its first reader."""
    for n in graph.node:
        if n.op_type == "ConstantOfShape":
            continue
        for k, i in enumerate(n.input):
            if i == name:
                return n.op_type, k, n
    return None, None, None


def zoo_values(graph, name, shape):
    """The values featmap's test and this script give tensor `name` of `shape`."""
    count = int(np.prod(shape)) if len(shape) else 1
    u = uniform(name, count)
    op, k, node = role(graph, name)
    if op == "BatchNormalization":
        # scale 1 ± 0.2, bias and mean ± 0.1, variance 1 ± 0.5 (always positive).
        a, b = {1: (0.2, 1.0), 2: (0.1, 0.0), 3: (0.1, 0.0), 4: (0.5, 1.0)}.get(k, (0.1, 0.0))
    elif op == "LayerNormalization":
        # scale 1 ± 0.2, bias ± 0.1.
        a, b = {1: (0.2, 1.0), 2: (0.1, 0.0)}.get(k, (0.1, 0.0))
    elif op in ("Conv", "Gemm", "MatMul") and k == 1 and len(shape) >= 2:
        if op == "MatMul":
            fan_in = shape[-2]
        elif op == "Gemm":
            trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
            fan_in = shape[1] if trans_b else shape[0]
        else:
            fan_in = int(np.prod(shape[1:]))
        # He-uniform: variance 2/fan_in, so that activations keep their scale through ReLU layers.
        a, b = float(np.sqrt(6.0 / fan_in)), 0.0
    elif op == "Mul":
        a, b = 0.2, 1.0
    else:
        a, b = 0.05, 0.0
    return (u * np.float32(a) + np.float32(b)).astype(np.float32).reshape(shape)


def input_image(size=224):
    """A smooth, deterministic 1×3×size×size input in roughly ImageNet's normalised range."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    planes = [np.sin(x / 17.0 + c) * np.cos(y / 23.0 - c) + 0.3 * np.sin((x + y) / 7.0 + 2 * c) for c in range(3)]
    return np.stack(planes)[None].astype(np.float32)


def sample_indices(n, count=64):
    """count flat indices spread evenly from 0 to n − 1: i·(n − 1) ÷ (count − 1), in integers."""
    k = min(n, count)
    if k <= 1:
        return np.zeros(k, dtype=np.int64)
    return np.array([i * (n - 1) // (k - 1) for i in range(k)], dtype=np.int64)


def every_node_output(model, feed):
    """onnxruntime's value of every node output of `model` for `feed`, by name, in the session's output
    order (graph optimisations off, so that no node is fused away). Every node output is made a graph
    output of `model` (changed in place), so that onnxruntime returns it."""
    g = model.graph
    existing = {o.name for o in g.output}
    for n in g.node:
        for o in n.output:
            if o and o not in existing:
                g.output.append(helper.make_empty_tensor_value_info(o))
                existing.add(o)
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.log_severity_level = 3
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feed)))


def stats_and_samples(v):
    flat = v.reshape(-1).astype(np.float64)
    idx = sample_indices(flat.size)
    stats = np.array([flat.min(), flat.mean(), flat.max(), np.sqrt((flat ** 2).sum())], dtype=np.float32)
    return stats, flat[idx].astype(np.float32), idx


def main():
    os.makedirs(OUT, exist_ok=True)
    x = input_image()
    for name in NAMES:
        src = os.path.join(LIGHT, f"light_{name}.onnx")
        shutil.copyfile(src, os.path.join(OUT, f"{name}.onnx"))
        m = onnx.load(src)
        g = m.graph
        # A fill that only Reshape/Unsqueeze/Squeeze/Flatten nodes rearrange (same values, same order)
        # reaches its layer under the last of those names; featmap folds such chains at load, so the
        # values are made for that last tensor and the fill holds them in its own shape.
        inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        readers = {}
        for n in g.node:
            for i in n.input:
                readers.setdefault(i, []).append(n)
        filled, chains = {}, {}
        keep = []
        for n in g.node:
            if n.op_type != "ConstantOfShape":
                continue
            shape = [int(d) for d in inits[n.input[0]]]
            tname, view = n.output[0], np.zeros(shape, dtype=np.float32)
            while len(readers.get(tname, [])) == 1 and readers[tname][0].op_type in ("Reshape", "Unsqueeze", "Squeeze", "Flatten") \
                    and readers[tname][0].input[0] == tname:
                r = readers[tname][0]
                attrs = {a.name: helper.get_attribute_value(a) for a in r.attribute}
                if r.op_type == "Reshape":
                    target = [int(d) for d in (inits[r.input[1]] if len(r.input) > 1 else attrs["shape"])]
                    target = [view.shape[i] if d == 0 else d for i, d in enumerate(target)]
                    view = view.reshape(target)
                elif r.op_type == "Unsqueeze":
                    for a in sorted(attrs["axes"]):
                        view = np.expand_dims(view, a)
                elif r.op_type == "Squeeze":
                    view = np.squeeze(view, axis=tuple(attrs["axes"])) if "axes" in attrs else np.squeeze(view)
                else:
                    axis = attrs.get("axis", 1)
                    view = view.reshape(int(np.prod(view.shape[:axis])), -1)
                tname = r.output[0]
            values = zoo_values(g, tname, list(view.shape))
            chains[tname] = values
            filled[n.output[0]] = values.reshape(shape)
        for n in g.node:
            if n.op_type != "ConstantOfShape":
                keep.append(n)
        del g.node[:]
        g.node.extend(keep)
        g.initializer.extend(numpy_helper.from_array(v, k) for k, v in filled.items())
        init_names = {t.name for t in g.initializer}
        data = [i for i in g.input if i.name not in init_names and not i.name.endswith("__SHAPE")]
        data_name = data[0].name
        computed = every_node_output(m, {data_name: x})
        names, values = list(computed), list(computed.values())
        arrays = {"input": x}
        for o, v in zip(names, values):
            v = np.asarray(v, dtype=np.float32)
            s, samples, idx = stats_and_samples(v)
            arrays[f"{o}/stats"] = s
            arrays[f"{o}/samples"] = samples
        final = dict(zip(names, values))[m.graph.output[0].name]
        arrays["output"] = np.asarray(final, dtype=np.float32).reshape(-1)
        save_file(arrays, os.path.join(OUT, f"{name}.safetensors"),
                  metadata={"data_input": data_name, "output": m.graph.output[0].name, "filled": ",".join(sorted(chains))})
        print(name, len(names), "values, top class", int(np.argmax(final)))


if __name__ == "__main__":
    main()
