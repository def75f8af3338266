#!/usr/bin/env python3
"""Builds .weights fixtures the way docs/weights-format.md tells PyTorch users to, without featmap.

The documented recipe is `safetensors.torch.save_file(model.state_dict(), path, metadata={...})`.
torch cannot be installed here, so this script uses `safetensors.numpy.save_file`, which writes the
same file format: the "state dict" is LeNet-5's weights taken from the ONNX export (PyTorch's own
names, body.conv1.weight …) as NumPy arrays, and the metadata is written by hand as the docs say.

Writes
  Tests/FeatMapKitTests/Fixtures/models/lenet-recipe.weights       state dict + featmap.* metadata
  Tests/FeatMapKitTests/Fixtures/models/lenet-state-dict.safetensors   bare state dict, no metadata
  Tests/FeatMapKitTests/Fixtures/models/lenet-arch.json            the architecture for --arch
  Tests/FeatMapCLITests/Fixtures/models/*.weights|.onnx            small broken or unusual models for CLI tests
Run from the repository root: python3 Tests/scripts/make_weights_fixture.py [../shared]
"""
import json, os, struct, sys
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
from safetensors.numpy import save_file

shared = sys.argv[1] if len(sys.argv) > 1 else "../shared"
kit = "Tests/FeatMapKitTests/Fixtures/models"
cli = "Tests/FeatMapCLITests/Fixtures/models"
os.makedirs(kit, exist_ok=True)
os.makedirs(cli, exist_ok=True)

onnx_model = onnx.load(f"{shared}/models/lenet5/lenet5-mnist.onnx")
state_dict = {t.name: numpy_helper.to_array(t).astype(np.float32) for t in onnx_model.graph.initializer}


def conv(name, x, w, b, **attrs):
    a = {"kernel_shape": {"ints": list(state_dict[w].shape[2:])}}
    a.update({k: {"ints": v} for k, v in attrs.items()})
    return {"op": "Conv", "name": name, "inputs": [x, w, b], "outputs": [name], "attributes": a}


def node(op, name, inputs, **attrs):
    return {"op": op, "name": name, "inputs": inputs, "outputs": [name], "attributes": attrs}


architecture = {
    "opset": 13,
    "input": {"name": "image", "shape": [1, 1, 28, 28]},
    "outputs": ["probabilities"],
    "nodes": [
        conv("conv1", "image", "body.conv1.weight", "body.conv1.bias", pads=[2, 2, 2, 2]),
        node("Relu", "relu1", ["conv1"]),
        node("MaxPool", "pool1", ["relu1"], kernel_shape={"ints": [2, 2]}, strides={"ints": [2, 2]}),
        conv("conv2", "pool1", "body.conv2.weight", "body.conv2.bias"),
        node("Relu", "relu2", ["conv2"]),
        node("MaxPool", "pool2", ["relu2"], kernel_shape={"ints": [2, 2]}, strides={"ints": [2, 2]}),
        node("Flatten", "flatten", ["pool2"], axis={"int": 1}),
        node("Gemm", "fc1", ["flatten", "head.fc1.weight", "head.fc1.bias"], transB={"int": 1}),
        node("Relu", "relu3", ["fc1"]),
        node("Gemm", "fc2", ["relu3", "head.fc2.weight", "head.fc2.bias"], transB={"int": 1}),
        node("Relu", "relu4", ["fc2"]),
        node("Gemm", "fc3", ["relu4", "head.fc3.weight", "head.fc3.bias"], transB={"int": 1}),
        node("Softmax", "probabilities", ["fc3"], axis={"int": 1}),
    ],
}
preprocessing = {"width": 28, "height": 28, "color": "grey", "fit": "digit", "range": [0, 1],
                 "mean": [0.1307], "std": [0.3081]}
classes = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
metadata = {
    "featmap.format": "1",
    "featmap.architecture": json.dumps(architecture),
    "featmap.preprocessing": json.dumps(preprocessing),
    "featmap.classes": json.dumps(classes),
}
save_file(state_dict, f"{kit}/lenet-recipe.weights", metadata=metadata)
save_file(state_dict, f"{kit}/lenet-state-dict.safetensors")
with open(f"{kit}/lenet-arch.json", "w") as f:
    json.dump(dict(architecture, preprocessing=preprocessing), f, indent=1)

# A one-convolution model, small enough to break in many ways.
tiny_w = np.arange(2 * 1 * 3 * 3, dtype=np.float32).reshape(2, 1, 3, 3) / 10
tiny_b = np.array([0.5, -0.5], np.float32)
tiny_arch = {"opset": 13, "input": {"name": "x", "shape": [1, 1, 8, 8]}, "outputs": ["conv"],
             "nodes": [{"op": "Conv", "name": "conv", "inputs": ["x", "w", "b"], "outputs": ["conv"],
                        "attributes": {"kernel_shape": {"ints": [3, 3]}, "pads": {"ints": [1, 1, 1, 1]}}}]}
tiny_meta = {"featmap.format": "1", "featmap.architecture": json.dumps(tiny_arch),
             "featmap.preprocessing": json.dumps({"width": 8, "height": 8, "color": "grey", "fit": "stretch",
                                                  "range": [0, 1], "mean": [0], "std": [1]})}
nan_w = tiny_w.copy()
nan_w[1, 0, 1, 1] = np.nan
save_file({"w": nan_w, "b": tiny_b}, f"{cli}/nan.weights", metadata=tiny_meta)
save_file({"w": tiny_w}, f"{cli}/missing-tensor.weights", metadata=tiny_meta)  # the architecture names "b" too


def raw_safetensors(header, data):
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


good = raw_safetensors({"__metadata__": tiny_meta,
                        "w": {"dtype": "F32", "shape": [2, 1, 3, 3], "data_offsets": [0, 72]},
                        "b": {"dtype": "F32", "shape": [2], "data_offsets": [72, 80]}}, tiny_w.tobytes() + tiny_b.tobytes())
# A tensor whose byte range does not match its shape: 2·1·3·3 F32 needs 72 bytes, the header gives 64.
open(f"{cli}/size-mismatch.weights", "wb").write(raw_safetensors(
    {"__metadata__": tiny_meta, "w": {"dtype": "F32", "shape": [2, 1, 3, 3], "data_offsets": [0, 64]},
     "b": {"dtype": "F32", "shape": [2], "data_offsets": [64, 72]}}, tiny_w.tobytes()[:64] + tiny_b.tobytes()))
# The 8-byte header length says 1 MiB, the file is a few hundred bytes.
open(f"{cli}/header-past-end.weights", "wb").write(struct.pack("<Q", 1 << 20) + good[8:])
open(f"{cli}/tiny.weights", "wb").write(good)

# An operator featmap does not run (QuantizeLinear: quantised models are out of scope) after the first
# layers: `layers` must keep what came before. (It was LRN until featmap implemented it.)
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 8, 8])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
g = helper.make_graph([
    helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c"], ["r"], name="relu"),
    helper.make_node("QuantizeLinear", ["r", "qs"], ["n"], name="quantize"),
    helper.make_node("MaxPool", ["n"], ["y"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
], "unsupported", [x], [y], [numpy_helper.from_array(tiny_w, "w"), numpy_helper.from_array(tiny_b, "b"),
                               numpy_helper.from_array(np.float32(0.1), "qs")])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 7
onnx.save(m, f"{cli}/unsupported-op.onnx")
print("written")
