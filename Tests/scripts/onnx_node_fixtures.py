"""ONNX conformance fixtures for featmap's operators (issue 14 §4).

Collects, from the `onnx` wheel (Apache-2.0, the onnx project):
- the backend node tests that `onnx.backend.test.case.node.collect_testcases()` generates, and
- the `pytorch-converted` and `pytorch-operator` cases shipped under onnx/backend/test/data/,
keeping those whose graph uses only operators of the issue's list (and the ones featmap already ran)
and whose first input is a 4-D float tensor. Every other graph input becomes an initializer holding its
test value (featmap's graphs take one data input). Each kept case is written as
Fixtures/onnx-node/CASE.onnx; its input and expected outputs (as the test case ships them, computed by
onnx's reference implementation or exported from PyTorch, cast to float32) go into
Fixtures/onnx-node/reference.safetensors as CASE/input and CASE/output_K; manifest.json lists the cases,
their operators, opsets and sources.

Run: python3 Tests/scripts/onnx_node_fixtures.py   (onnx 1.20, numpy, safetensors)
"""
import glob
import json
import os
import sys
import warnings

import numpy as np
import onnx
from onnx import helper, numpy_helper
from safetensors.numpy import save_file

OPS = set("""Conv Relu LeakyRelu Sigmoid Tanh Clip MaxPool AveragePool GlobalAveragePool GlobalMaxPool
BatchNormalization Add Sub Mul Div Concat Reshape Flatten Transpose Gemm MatMul Softmax Dropout Identity Constant
LRN Sum Max Min Mean Shape Gather Unsqueeze Squeeze Slice Split Expand Tile Range ConstantOfShape Cast Where Equal
Pad Resize Upsample DepthToSpace SpaceToDepth ConvTranspose LpPool PRelu Elu Selu Celu Softplus Softsign
HardSigmoid HardSwish Gelu Mish Erf Exp Log Sqrt Pow Abs Neg Reciprocal Floor Ceil LogSoftmax ReduceMean
ReduceMax ReduceSum ReduceL2 LayerNormalization InstanceNormalization GroupNormalization""".split())

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "FeatMapKitTests", "Fixtures", "onnx-node")
DATA = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")
FLOAT = {onnx.TensorProto.FLOAT}


def elem_type(value_info):
    return value_info.type.tensor_type.elem_type


def prepare(name, model, inputs, outputs, source):
    g = model.graph
    ops = sorted({n.op_type for n in g.node})
    if not ops or any(op not in OPS for op in ops) or any(n.domain not in ("", "ai.onnx") for n in g.node):
        return None
    init_names = {t.name for t in g.initializer}
    real_inputs = [i for i in g.input if i.name not in init_names]
    if not real_inputs or len(inputs) != len(real_inputs):
        return None
    if not all(isinstance(v, np.ndarray) for v in list(inputs) + list(outputs)):
        return None
    first = inputs[0]
    if first.dtype != np.float32 or first.ndim != 4 or elem_type(real_inputs[0]) not in FLOAT:
        return None
    if len(outputs) != len(g.output):
        return None
    # The other inputs become initializers with their test values.
    keep = real_inputs[0]
    for vi, value in zip(real_inputs[1:], inputs[1:]):
        g.initializer.append(numpy_helper.from_array(np.asarray(value), vi.name))
    del g.input[:]
    g.input.append(keep)
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    arrays = {f"{name}/input": np.ascontiguousarray(first)}
    for k, value in enumerate(outputs):
        v = np.asarray(value)
        if v.dtype == np.bool_:
            v = v.astype(np.float32)
        arrays[f"{name}/output_{k}"] = np.ascontiguousarray(v.astype(np.float32))
    onnx.save(model, os.path.join(OUT, name + ".onnx"))
    return {"name": name, "ops": ops, "opset": opset, "source": source,
            "input_shape": list(first.shape), "outputs": len(outputs)}, arrays


def node_cases():
    from onnx.backend.test.case import node
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = node.collect_testcases(None)
    for c in cases:
        if c.model is None or not c.data_sets:
            continue
        inputs, outputs = c.data_sets[0]
        yield c.name, onnx.ModelProto.FromString(c.model.SerializeToString()), list(inputs), list(outputs), "node"


def read_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def folder_cases(kind):
    for d in sorted(glob.glob(os.path.join(DATA, kind, "test_*"))):
        model_path = os.path.join(d, "model.onnx")
        sets = sorted(glob.glob(os.path.join(d, "test_data_set_*")))
        if not os.path.exists(model_path) or not sets:
            continue
        ins = [read_pb(p) for p in sorted(glob.glob(os.path.join(sets[0], "input_*.pb")))]
        outs = [read_pb(p) for p in sorted(glob.glob(os.path.join(sets[0], "output_*.pb")))]
        yield os.path.basename(d), onnx.load(model_path), ins, outs, kind


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in glob.glob(os.path.join(OUT, "*.onnx")):
        os.remove(old)
    manifest, arrays = [], {}
    seen = set()
    for source in (node_cases(), folder_cases("pytorch-converted"), folder_cases("pytorch-operator")):
        for name, model, ins, outs, kind in source:
            key = name if kind == "node" else f"{kind}_{name}"
            if key in seen:
                continue
            r = prepare(key, model, ins, outs, kind)
            if r is None:
                continue
            seen.add(key)
            manifest.append(r[0])
            arrays.update(r[1])
    manifest.sort(key=lambda m: m["name"])
    save_file(arrays, os.path.join(OUT, "reference.safetensors"))
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"onnx": onnx.__version__, "cases": manifest}, f, indent=1)
        f.write("\n")
    by = {}
    for m in manifest:
        by[m["source"]] = by.get(m["source"], 0) + 1
    print(len(manifest), "cases", by, file=sys.stderr)


if __name__ == "__main__":
    main()
