"""Writes a VGG-11 ONNX model (torchvision's layout, configuration "A": 8 convolutions, 3 fully connected
layers, 132.9 M parameters = 531 MB of float32 weights) with random weights, for the model-loading
benchmark. Needs numpy and onnx only (no torch). Weights are stored as raw_data, as torch.onnx.export does.
Usage: make_vgg11.py OUT.onnx"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CONFIG = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]


def main(out):
    rng = np.random.default_rng(11)
    nodes, inits = [], []

    def weight(name, shape, fan_in):
        # He-style scale so that activations stay finite through the 11 layers.
        w = (rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(2.0 / fan_in))).astype(np.float32)
        inits.append(numpy_helper.from_array(w, name))
        return name

    x, channels = "input", 3
    for i, c in enumerate(CONFIG):
        if c == "M":
            nodes.append(helper.make_node("MaxPool", [x], [f"pool{i}"], kernel_shape=[2, 2], strides=[2, 2]))
            x = f"pool{i}"
            continue
        w = weight(f"features.{i}.weight", (c, channels, 3, 3), channels * 9)
        b = weight(f"features.{i}.bias", (c,), channels * 9)
        nodes.append(helper.make_node("Conv", [x, w, b], [f"conv{i}"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
        nodes.append(helper.make_node("Relu", [f"conv{i}"], [f"relu{i}"]))
        x, channels = f"relu{i}", c
    nodes.append(helper.make_node("Flatten", [x], ["flat"], axis=1))
    x = "flat"
    for j, (n_in, n_out) in enumerate([(512 * 7 * 7, 4096), (4096, 4096), (4096, 1000)]):
        w = weight(f"classifier.{3 * j}.weight", (n_out, n_in), n_in)
        b = weight(f"classifier.{3 * j}.bias", (n_out,), n_in)
        y = f"fc{j}" if j < 2 else "output"
        nodes.append(helper.make_node("Gemm", [x, w, b], [y], transB=1))
        if j < 2:
            nodes.append(helper.make_node("Relu", [y], [f"fcrelu{j}"]))
            y = f"fcrelu{j}"
        x = y
    graph = helper.make_graph(nodes, "vgg11", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 224, 224])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1000])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="featmap make_vgg11.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save_model(model, out)
    total = sum(int(np.prod(t.dims)) for t in inits)
    print(f"{out}: {total / 1e6:.1f} M parameters, {total * 4 / 1e6:.0f} MB of weights", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_vgg11.py OUT.onnx")
    main(sys.argv[1])
