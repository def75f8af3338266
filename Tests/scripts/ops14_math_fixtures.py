#!/usr/bin/env python3
"""onnxruntime references for featmap's math operators (issue 14): elementwise functions, PRelu, Pow,
LogSoftmax, Sum/Max/Min/Mean, ReduceSum/Mean/Max/L2, Layer/Instance/GroupNormalization and LRN.

Writes into Tests/FeatMapKitTests/Fixtures/ops14/math/:
  CASE.onnx               one small model per case: graph input "x" (4-D float32), output "y" (and, for
                          LayerNormalization, "mean" and "inv"), constant inputs as initializers
  reference.safetensors   "CASE.input" (seeded standard normal, transformed where the function needs a
                          domain, e.g. |x| + 0.1 for Log) and "CASE.<output>" as onnxruntime computed them,
                          "CASE.<output>.shape" (int32) its shape (safetensors writes a 0-d array as [1])
                          (lrn_even_size: NumPy, from the spec's formula, since onnxruntime refuses even sizes and
                          onnx 1.23's reference LRN loops over the batch axis instead of the channels; the NumPy
                          code is checked against onnxruntime on the odd sizes)
  cases.txt               the case names, one a line
Run from the repository root: python3 Tests/scripts/ops14_math_fixtures.py
"""
import os
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
import onnxruntime as ort
from safetensors.numpy import save_file

out = "Tests/FeatMapKitTests/Fixtures/ops14/math"
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(14)
ref = {}
names = []
N = helper.make_node


def tensor(k, v):
    a = np.asarray(v)
    return numpy_helper.from_array(a.astype(np.float32) if a.dtype.kind == "f" else a.astype(np.int64), k)


def case(name, nodes, x, inits=(), opset=13, outputs=("y",), check=True, runtime="onnxruntime"):
    x = np.asarray(x, np.float32)
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
                              [tensor(k, v) for k, v in inits])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    if check:  # GroupNormalization-18 is a function whose output shape onnx does not infer
        onnx.checker.check_model(onnx.shape_inference.infer_shapes(model, strict_mode=True))
    onnx.save(model, f"{out}/{name}.onnx")
    if runtime == "onnxruntime":
        sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        ys = sess.run(list(outputs), {"x": x})
    else:
        ys = runtime(x)
    ref[f"{name}.input"] = x
    for o, y in zip(outputs, ys):
        ref[f"{name}.{o}"] = np.ascontiguousarray(y.astype(np.float32))
        # safetensors stores a 0-d array as shape [1]: the true shape goes alongside.
        ref[f"{name}.{o}.shape"] = np.array(y.shape, np.int32)
    names.append(name)


def x(*shape):
    return rng.standard_normal(shape).astype(np.float32)


S = (1, 3, 5, 6)
B = (2, 4, 5, 6)

# Elementwise functions, defaults and non-default attributes.
case("elu_default", [N("Elu", ["x"], ["y"])], x(*S))
case("elu_alpha", [N("Elu", ["x"], ["y"], alpha=0.5)], x(*B), opset=7)
case("selu_default", [N("Selu", ["x"], ["y"])], x(*S))
case("selu_attributes", [N("Selu", ["x"], ["y"], alpha=2.0, gamma=3.0)], x(*B))
case("celu_default", [N("Celu", ["x"], ["y"])], x(*S), opset=12)
case("celu_alpha", [N("Celu", ["x"], ["y"], alpha=2.0)], 3 * x(*S), opset=13)
case("softplus", [N("Softplus", ["x"], ["y"])], 10 * x(*S))
case("softsign", [N("Softsign", ["x"], ["y"])], 3 * x(*S))
case("hardsigmoid_default", [N("HardSigmoid", ["x"], ["y"])], 4 * x(*S))
case("hardsigmoid_attributes", [N("HardSigmoid", ["x"], ["y"], alpha=0.5, beta=0.6)], 2 * x(*B), opset=7)
case("hardswish", [N("HardSwish", ["x"], ["y"])], 4 * x(*S), opset=14)
case("gelu_none", [N("Gelu", ["x"], ["y"])], 2 * x(*S), opset=20)
case("gelu_tanh", [N("Gelu", ["x"], ["y"], approximate="tanh")], 2 * x(*B), opset=20)
case("mish", [N("Mish", ["x"], ["y"])], 3 * x(*S), opset=18)
case("erf", [N("Erf", ["x"], ["y"])], x(*S))
case("exp", [N("Exp", ["x"], ["y"])], x(*S))
case("log", [N("Log", ["x"], ["y"])], np.abs(x(*S)) + 0.1)
case("sqrt", [N("Sqrt", ["x"], ["y"])], np.abs(x(*S)))
case("abs", [N("Abs", ["x"], ["y"])], x(*S))
case("neg", [N("Neg", ["x"], ["y"])], x(*S))
case("reciprocal", [N("Reciprocal", ["x"], ["y"])], np.sign(x(*S)) * (np.abs(x(*S)) + 0.2))
case("floor", [N("Floor", ["x"], ["y"])], 3 * x(*S))
case("ceil", [N("Ceil", ["x"], ["y"])], 3 * x(*S))
case("prelu_channel", [N("PRelu", ["x", "s"], ["y"])], x(*B), [("s", x(4, 1, 1))])
case("prelu_scalar", [N("PRelu", ["x", "s"], ["y"])], x(*S), [("s", x(1))], opset=9)
case("prelu_last_axis", [N("PRelu", ["x", "s"], ["y"])], x(*S), [("s", x(6))], opset=16)
case("pow_square", [N("Pow", ["x", "e"], ["y"])], x(*S), [("e", np.float32(2))], opset=7)
case("pow_channel_exponent", [N("Pow", ["x", "e"], ["y"])], np.abs(x(*S)) + 0.1, [("e", x(3, 1, 1))], opset=15)
case("pow_broadcast_base", [N("Pow", ["b", "x"], ["y"])], x(*S), [("b", np.abs(x(5, 1)) + 0.5)])
case("pow_activations", [N("Abs", ["x"], ["a"]), N("Pow", ["a", "x"], ["y"])], x(*S))

# LogSoftmax: before opset 13 the axes from `axis` on are flattened; from 13 one axis.
case("logsoftmax_opset11_axis1", [N("LogSoftmax", ["x"], ["y"], axis=1)], 3 * x(*S), opset=11)
case("logsoftmax_opset12_default", [N("LogSoftmax", ["x"], ["y"])], 3 * x(*S), opset=12)
case("logsoftmax_opset13_axis1", [N("LogSoftmax", ["x"], ["y"], axis=1)], 3 * x(*S))
case("logsoftmax_opset13_default", [N("LogSoftmax", ["x"], ["y"])], 30 * x(*B))

# Variadic joins with broadcasting.
case("sum_one", [N("Sum", ["x"], ["y"])], x(*S))
case("sum_broadcast", [N("Exp", ["x"], ["e"]), N("Sum", ["x", "b", "e", "c"], ["y"])], x(*B),
     [("b", x(4, 1, 1)), ("c", x(6))])
case("sum_opset7", [N("Relu", ["x"], ["r"]), N("Sum", ["x", "r"], ["y"])], x(*S), opset=7)
case("max_broadcast", [N("Neg", ["x"], ["n"]), N("Max", ["x", "b", "n"], ["y"])], x(*B), [("b", x(1, 4, 1, 6))])
case("min_broadcast", [N("Neg", ["x"], ["n"]), N("Min", ["n", "x", "b"], ["y"])], x(*S), [("b", x(5, 1))])
case("mean_broadcast", [N("Abs", ["x"], ["a"]), N("Mean", ["x", "a", "b"], ["y"])], x(*B), [("b", x(4, 1, 1))])

# Reductions: axes as attribute (ReduceSum < 13, the others < 18) or input, keepdims, noop_with_empty_axes.
E = np.zeros(0, np.int64)
case("reducemean_hw_attribute", [N("ReduceMean", ["x"], ["y"], axes=[2, 3])], x(*S))
case("reducemean_negative_nokeep", [N("ReduceMean", ["x"], ["y"], axes=[-1, -2], keepdims=0)], x(*B), opset=11)
case("reducemean_all", [N("ReduceMean", ["x"], ["y"], keepdims=0)], x(*S))
case("reducemean_hw_input", [N("ReduceMean", ["x", "a"], ["y"])], x(*B), [("a", np.array([-2, -1]))], opset=18)
case("reducemean_no_axes_input", [N("ReduceMean", ["x"], ["y"])], x(*S), opset=18)
case("reducemean_noop", [N("ReduceMean", ["x", "a"], ["y"], noop_with_empty_axes=1)], x(*S), [("a", E)], opset=18)
case("reducesum_attribute", [N("ReduceSum", ["x"], ["y"], axes=[1], keepdims=0)], x(*B), opset=11)
case("reducesum_input", [N("ReduceSum", ["x", "a"], ["y"])], x(*S), [("a", np.array([1, -1]))])
case("reducesum_empty_axes", [N("ReduceSum", ["x", "a"], ["y"], keepdims=0)], x(*S), [("a", E)])
case("reducesum_noop", [N("ReduceSum", ["x", "a"], ["y"], noop_with_empty_axes=1)], x(*S), [("a", E)])
case("reducemax_attribute", [N("ReduceMax", ["x"], ["y"], axes=[3])], x(*B), opset=12)
case("reducemax_input", [N("ReduceMax", ["x", "a"], ["y"], keepdims=0)], x(*S), [("a", np.array([2]))], opset=18)
case("reducel2_attribute", [N("ReduceL2", ["x"], ["y"], axes=[1, 2])], x(*S))
case("reducel2_input", [N("ReduceL2", ["x", "a"], ["y"], keepdims=0)], x(*B), [("a", np.array([-1, 0]))], opset=18)

# Normalisations.
case("layernorm_last_axis", [N("LayerNormalization", ["x", "s", "b"], ["y", "mean", "inv"])], x(*S),
     [("s", x(6)), ("b", x(6))], opset=17, outputs=("y", "mean", "inv"))
case("layernorm_axis1", [N("LayerNormalization", ["x", "s"], ["y", "mean", "inv"], axis=1, epsilon=1e-3)], x(*B),
     [("s", x(4, 5, 6))], opset=17, outputs=("y", "mean", "inv"))
case("layernorm_axis_minus2", [N("LayerNormalization", ["x", "s", "b"], ["y", "mean", "inv"], axis=-2)], 5 * x(*S),
     [("s", x(5, 6)), ("b", x(5, 6))], opset=17, outputs=("y", "mean", "inv"))
case("instancenorm_default", [N("InstanceNormalization", ["x", "s", "b"], ["y"])], x(*S), [("s", x(3)), ("b", x(3))], opset=7)
case("instancenorm_epsilon", [N("InstanceNormalization", ["x", "s", "b"], ["y"], epsilon=0.5)], 2 * x(*B),
     [("s", x(4)), ("b", x(4))])
case("groupnorm_opset18", [N("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2)], x(*B),
     [("s", x(2)), ("b", x(2))], opset=18, check=False)
case("groupnorm_opset21", [N("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2, epsilon=1e-2)], x(*B),
     [("s", x(4)), ("b", x(4))], opset=21, check=False)
case("groupnorm_opset21_one_group", [N("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=1)], x(*S),
     [("s", x(3)), ("b", x(3))], opset=21, check=False)
def lrn_numpy(x, size, alpha=1e-4, beta=0.75, bias=1.0):
    """ONNX LRN: the square sum over channels c − ⌊(size−1)/2⌋ … c + ⌈(size−1)/2⌉ that exist."""
    x = x.astype(np.float64)
    lo, hi = (size - 1) // 2, size - 1 - (size - 1) // 2
    sq = np.zeros_like(x)
    for c in range(x.shape[1]):
        sq[:, c] = (x[:, max(0, c - lo):min(x.shape[1], c + hi + 1)] ** 2).sum(axis=1)
    return [(x / (bias + alpha / size * sq) ** beta).astype(np.float32)]


case("lrn_size3", [N("LRN", ["x"], ["y"], size=3)], 4 * x(*S))
case("lrn_even_size", [N("LRN", ["x"], ["y"], size=4, alpha=0.01, beta=0.5, bias=2.0)], 4 * x(2, 7, 4, 5),
     runtime=lambda v: lrn_numpy(v, 4, alpha=0.01, beta=0.5, bias=2.0))
case("lrn_alexnet", [N("LRN", ["x"], ["y"], size=5, alpha=1e-4, beta=0.75, bias=1.0)], 30 * x(1, 7, 4, 4), opset=7)

for name, size, kw in [("lrn_size3", 3, {}), ("lrn_alexnet", 5, {})]:
    assert np.allclose(lrn_numpy(ref[f"{name}.input"], size, **kw)[0], ref[f"{name}.y"], rtol=1e-5, atol=1e-6), name

save_file(ref, f"{out}/reference.safetensors")
with open(f"{out}/cases.txt", "w") as f:
    f.write("\n".join(names) + "\n")
print(len(names), "cases")
