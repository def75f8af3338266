"""Small ONNX models for the checks made when a graph is prepared (issue 14 §2), written to
Tests/FeatMapCLITests/Fixtures/models/:
- bad-reshape.onnx: Conv 1→2 (3×3, pads 1) then a Reshape of its [1, 2, 28, 28] output to [7, -1, 5]
  (1568 values do not divide into 7·5 = 35 columns): the Reshape fails, after the Conv has run.
- wide-1x1.onnx: a 1×1 Conv from 1 to 4096 channels on a 28×28 input: 4096·28·28·4 B = 12.25 MiB of
  output, refused under --max-memory 8M before anything is allocated.
- weight-reshape-first.onnx: as the CNTK MNIST model begins, the first node reshapes a weight
  ([8] → [2, 1, 2, 2]); then Conv with it, Relu, MaxPool. The default layers are the Conv, Relu and pool.
- channels-last.onnx: as ConvNeXt's blocks do, Conv 1→4 (3×3, pads 1), Transpose to [N, H, W, C], Relu,
  Transpose back, Relu: the middle Relu's [1, 28, 28, 4] is not maps, the last one is again.
Run: python3 Tests/scripts/graph_check_fixtures.py  (onnx, numpy)
"""
import os
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "FeatMapCLITests", "Fixtures", "models")
rng = np.random.default_rng(14)


def save(name, nodes, inits, out_shape, check=True):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 28, 28])
    y = helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, out_shape)
    g = helper.make_graph(nodes, name, [x], [y], [numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    if check:
        onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, name + ".onnx"))


w = rng.standard_normal((2, 1, 3, 3)).astype(np.float32)
save("bad-reshape", [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
                     helper.make_node("Reshape", ["c", "shape"], ["r"], name="flat")],
     {"w": w, "shape": np.array([7, -1, 5], dtype=np.int64)}, [7, 32, 5], check=False)
save("wide-1x1", [helper.make_node("Conv", ["x", "w"], ["c"], name="wide")],
     {"w": rng.standard_normal((4096, 1, 1, 1)).astype(np.float32)}, [1, 4096, 28, 28])
save("weight-reshape-first", [helper.make_node("Reshape", ["w8", "wshape"], ["w"], name="reshape_weight"),
                              helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
                              helper.make_node("Relu", ["c"], ["r"], name="relu"),
                              helper.make_node("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2])],
     {"w8": rng.standard_normal(8).astype(np.float32), "wshape": np.array([2, 1, 2, 2], dtype=np.int64)}, [1, 2, 13, 13])
save("channels-last", [helper.make_node("Conv", ["x", "w4"], ["c"], name="conv", pads=[1, 1, 1, 1]),
                       helper.make_node("Transpose", ["c"], ["t"], name="to_nhwc", perm=[0, 2, 3, 1]),
                       helper.make_node("Relu", ["t"], ["r"], name="relu_nhwc"),
                       helper.make_node("Transpose", ["r"], ["b"], name="to_nchw", perm=[0, 3, 1, 2]),
                       helper.make_node("Relu", ["b"], ["y"], name="relu")],
     {"w4": rng.standard_normal((4, 1, 3, 3)).astype(np.float32)}, [1, 4, 28, 28])
