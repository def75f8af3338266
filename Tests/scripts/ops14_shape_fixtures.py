#!/usr/bin/env python3
"""onnxruntime references for the operators of shape subgraphs, Pad, DepthToSpace/SpaceToDepth and
batched MatMul (issue 14).

Writes into Tests/FeatMapKitTests/Fixtures/ops14/shape/:
  CASE.onnx            a small model: one node (or a shape subgraph) reading a 4-D float input "x",
                       its integer and boolean operands as int64/bool initializers or Constant nodes
  reference.safetensors
                       "CASE.input" (float32, seeded random normal values) and "CASE.out0", "CASE.out1", …
                       the model's outputs from onnxruntime 1.x CPU, widened to float32 (int64 and bool
                       outputs as their values, bool as 0/1)

Run from the repository root: python3 Tests/scripts/ops14_shape_fixtures.py
"""
import os
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
import onnxruntime as ort
from safetensors.numpy import save_file

out = "Tests/FeatMapKitTests/Fixtures/ops14/shape"
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(14)
tensors = {}
INT64_MAX, INT64_MIN = np.iinfo(np.int64).max, np.iinfo(np.int64).min


def i64(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def f32(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.float32), name)


def case(name, shape, nodes, outputs, opset, inits=(), x=None):
    """A model reading x of `shape`, running `nodes`, with graph outputs `outputs` (names)."""
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                              [onnx.ValueInfoProto(name=o) for o in outputs], initializer=list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    # The outputs' types as onnx's shape inference gives them.
    inferred = onnx.shape_inference.infer_shapes(model)
    types = {v.name: v.type.tensor_type.elem_type for v in list(inferred.graph.value_info) + list(inferred.graph.output)
             if v.type.tensor_type.elem_type}
    del model.graph.output[:]
    model.graph.output.extend(helper.make_tensor_value_info(o, types[o], None) for o in outputs)
    onnx.save(model, f"{out}/{name}.onnx")
    if x is None:
        x = rng.standard_normal(shape).astype(np.float32)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {"x": x} if any(i.name == "x" for i in sess.get_inputs()) else {}
    results = sess.run(outputs, feeds)
    tensors[f"{name}.input"] = x
    for k, r in enumerate(results):
        tensors[f"{name}.out{k}"] = np.ascontiguousarray(np.asarray(r).astype(np.float32))


N = helper.make_node

# Shape: the whole shape before opset 15; start/end (negative, clamped) from 15.
case("shape_opset13", [2, 3, 4, 5], [N("Shape", ["x"], ["y"])], ["y"], 13)
case("shape_opset15_start_end", [2, 3, 4, 5], [N("Shape", ["x"], ["y"], start=1, end=-1)], ["y"], 15)
case("shape_opset15_clamped", [2, 3, 4, 5], [N("Shape", ["x"], ["y"], start=-10, end=100)], ["y"], 15)

# Gather along channels with a negative index; along W with 2-D indices.
case("gather_axis1_negative", [1, 4, 3, 3], [N("Gather", ["x", "i"], ["y"], axis=1)], ["y"], 13, [i64("i", [-1, 0, 2])])
case("gather_last_axis_2d", [1, 2, 3, 4], [N("Gather", ["x", "i"], ["y"], axis=-1)], ["y"], 13, [i64("i", [[0, 1], [-1, 2]])])
case("gather_scalar_axis0", [3, 2, 2, 2], [N("Gather", ["x", "i"], ["y"], axis=0)], ["y"], 11, [i64("i", 1)])

# Unsqueeze and Squeeze: axes attribute before 13, input from 13.
case("unsqueeze_opset11", [1, 2, 3, 4], [N("Unsqueeze", ["x"], ["y"], axes=[0, -1])], ["y"], 11)
case("unsqueeze_opset13", [1, 2, 3, 4], [N("Unsqueeze", ["x", "a"], ["y"])], ["y"], 13, [i64("a", [2])])
case("squeeze_opset11", [1, 3, 1, 4], [N("Squeeze", ["x"], ["y"], axes=[2])], ["y"], 11)
case("squeeze_opset13_input", [1, 3, 1, 4], [N("Squeeze", ["x", "a"], ["y"])], ["y"], 13, [i64("a", [0, -2])])
case("squeeze_opset13_all", [1, 3, 1, 4], [N("Squeeze", ["x"], ["y"])], ["y"], 13)

# Slice: attributes before 10; inputs with steps from 10, INT64_MAX/MIN ends, negative steps.
case("slice_opset9", [1, 3, 5, 6], [N("Slice", ["x"], ["y"], starts=[1, 0], ends=[4, 1000], axes=[2, 3])], ["y"], 9)
case("slice_opset13_steps", [1, 4, 5, 7], [N("Slice", ["x", "s", "e", "a", "t"], ["y"])], ["y"], 13,
     [i64("s", [1, 1, 0]), i64("e", [INT64_MAX, -1, 5]), i64("a", [1, 3, 2]), i64("t", [2, 2, 3])])
case("slice_opset13_negative_steps", [1, 3, 5, 6], [N("Slice", ["x", "s", "e", "a", "t"], ["y"])], ["y"], 13,
     [i64("s", [-1, 4]), i64("e", [INT64_MIN, 0]), i64("a", [2, -1]), i64("t", [-1, -2])])
case("slice_opset11_default_axes", [2, 3, 4, 5], [N("Slice", ["x", "s", "e"], ["y"])], ["y"], 11,
     [i64("s", [1, -2]), i64("e", [2, 100])])

# Split: `split` attribute before 13, optional input 13..17, num_outputs (uneven last part) from 18.
case("split_opset11_attribute", [1, 3, 2, 2], [N("Split", ["x"], ["a", "b"], axis=1, split=[1, 2])], ["a", "b"], 11)
case("split_opset11_equal", [1, 2, 4, 3], [N("Split", ["x"], ["a", "b"], axis=2)], ["a", "b"], 11)
case("split_opset13_input", [1, 4, 2, 3], [N("Split", ["x", "s"], ["a", "b", "c"], axis=1)], ["a", "b", "c"], 13, [i64("s", [2, 1, 1])])
case("split_opset13_equal", [1, 2, 3, 4], [N("Split", ["x"], ["a", "b"], axis=-1)], ["a", "b"], 13)
case("split_opset18_num_outputs", [1, 2, 2, 7], [N("Split", ["x"], ["a", "b", "c"], axis=3, num_outputs=3)], ["a", "b", "c"], 18)

# Expand (bidirectional broadcast), Tile.
case("expand", [1, 3, 1, 4], [N("Expand", ["x", "s"], ["y"])], ["y"], 13, [i64("s", [2, 1, 5, 1])])
case("expand_lower_rank_shape", [1, 3, 2, 1], [N("Expand", ["x", "s"], ["y"])], ["y"], 13, [i64("s", [1, 3])])
case("tile", [1, 2, 2, 3], [N("Tile", ["x", "r"], ["y"])], ["y"], 13, [i64("r", [2, 1, 3, 2])])

# Range (int64 and float), ConstantOfShape (value attribute; default 0), each folded at preparation.
case("range_int64", [1, 1, 2, 2], [N("Range", ["s", "l", "d"], ["r"]), N("Add", ["x", "zero"], ["y"])], ["r", "y"], 13,
     [i64("s", 10), i64("l", 1), i64("d", -3), f32("zero", 0)])
case("range_float", [1, 1, 2, 2], [N("Range", ["s", "l", "d"], ["r"]), N("Add", ["x", "zero"], ["y"])], ["r", "y"], 13,
     [f32("s", 0.5), f32("l", 2.0), f32("d", 0.4), f32("zero", 0)])
case("constant_of_shape_value", [1, 2, 3, 4],
     [N("Shape", ["x"], ["s"]), N("ConstantOfShape", ["s"], ["y"], value=helper.make_tensor("v", TensorProto.FLOAT, [1], [2.5]))], ["y"], 13)
case("constant_of_shape_default", [1, 1, 2, 2], [N("ConstantOfShape", ["s"], ["c"]), N("Add", ["x", "zero"], ["y"])], ["c", "y"], 13,
     [i64("s", [2, 3]), f32("zero", 0)])

# Cast: int types truncate toward zero, bool is x != 0, float16 rounds.
xi = (rng.standard_normal([1, 2, 3, 4]) * 3).astype(np.float32)
xi[0, 0, 0, :2] = 0
case("cast_int64", [1, 2, 3, 4], [N("Cast", ["x"], ["y"], to=TensorProto.INT64)], ["y"], 13, x=xi)
case("cast_int32_opset9", [1, 2, 3, 4], [N("Cast", ["x"], ["y"], to=TensorProto.INT32)], ["y"], 9, x=xi)
case("cast_bool", [1, 2, 3, 4], [N("Cast", ["x"], ["y"], to=TensorProto.BOOL)], ["y"], 13, x=xi)
case("cast_float16", [1, 2, 3, 4], [N("Cast", ["x"], ["h"], to=TensorProto.FLOAT16), N("Cast", ["h"], ["y"], to=TensorProto.FLOAT)], ["y"], 13,
     x=(xi * 1000.123).astype(np.float32))

# Where and Equal with broadcasting; Equal's bool output as 0/1.
cond = numpy_helper.from_array(rng.random([1, 1, 3, 4]) > 0.5, "c")
case("where_broadcast", [1, 2, 3, 4], [N("Where", ["c", "x", "y0"], ["y"])], ["y"], 16, [cond, f32("y0", [[[-9]], [[9]]])])
xe = np.round(rng.standard_normal([1, 2, 3, 4])).astype(np.float32)
case("equal_broadcast", [1, 2, 3, 4], [N("Equal", ["x", "b"], ["y"])], ["y"], 13, [f32("b", [[[[0, 1, -1, 0]]]])], x=xe)
case("equal_where_mask", [1, 2, 3, 4], [N("Equal", ["x", "b"], ["m"]), N("Where", ["m", "big", "x"], ["y"])], ["y"], 13,
     [f32("b", [0]), f32("big", [100])], x=xe)

# Pad: attributes (2..10), inputs (11+), axes input (18+), wrap (19+); negative pads crop.
case("pad_opset10_constant", [1, 2, 3, 4], [N("Pad", ["x"], ["y"], pads=[0, 0, 1, 2, 0, 0, 2, 1], value=1.5)], ["y"], 10)
case("pad_opset11_reflect", [1, 2, 4, 5], [N("Pad", ["x", "p"], ["y"], mode="reflect")], ["y"], 11, [i64("p", [0, 0, 2, 3, 0, 0, 1, 4])])
case("pad_opset11_edge", [1, 2, 3, 4], [N("Pad", ["x", "p"], ["y"], mode="edge")], ["y"], 11, [i64("p", [0, 0, 2, 1, 0, 0, 3, 2])])
case("pad_opset13_constant_value_negative", [1, 2, 4, 5], [N("Pad", ["x", "p", "v"], ["y"])], ["y"], 13,
     [i64("p", [0, 1, -1, 2, 0, 0, 1, -2]), f32("v", -3.0)])
case("pad_opset18_axes", [1, 2, 3, 4], [N("Pad", ["x", "p", "", "a"], ["y"], mode="constant")], ["y"], 18,
     [i64("p", [1, 2, 0, 3]), i64("a", [-1, 2])])
case("pad_opset19_wrap", [1, 2, 3, 4], [N("Pad", ["x", "p"], ["y"], mode="wrap")], ["y"], 19, [i64("p", [0, 0, 2, 1, 0, 0, 1, 3])])

# DepthToSpace (DCR before opset 11 and by default; CRD) and SpaceToDepth.
case("depth_to_space_opset9", [1, 8, 2, 3], [N("DepthToSpace", ["x"], ["y"], blocksize=2)], ["y"], 9)
case("depth_to_space_dcr", [2, 8, 2, 3], [N("DepthToSpace", ["x"], ["y"], blocksize=2, mode="DCR")], ["y"], 13)
case("depth_to_space_crd", [1, 18, 2, 2], [N("DepthToSpace", ["x"], ["y"], blocksize=3, mode="CRD")], ["y"], 13)
case("space_to_depth", [2, 2, 4, 6], [N("SpaceToDepth", ["x"], ["y"], blocksize=2)], ["y"], 13)

# MatMul with broadcast batch axes, and the [K, N] fast path.
case("matmul_batched", [2, 3, 4, 5], [N("MatMul", ["x", "w"], ["y"])], ["y"], 13,
     [f32("w", rng.standard_normal([3, 5, 2]))])
case("matmul_broadcast_batch", [1, 3, 4, 5], [N("MatMul", ["x", "w"], ["y"])], ["y"], 13,
     [f32("w", rng.standard_normal([2, 1, 5, 6]))])
case("matmul_matrix_left", [2, 1, 3, 4], [N("MatMul", ["w", "x"], ["y"])], ["y"], 13,
     [f32("w", rng.standard_normal([2, 3]))])
case("matmul_vector", [1, 2, 3, 4], [N("MatMul", ["x", "w"], ["y"])], ["y"], 13, [f32("w", rng.standard_normal([4]))])

# The legacy TorchScript exporter's x.view(x.size(0), -1) after a convolution: Shape → Gather(0) →
# Unsqueeze(0) → Concat with [-1] → Reshape, its constants as Constant nodes.
def view_flatten(opset):
    unsq = (N("Unsqueeze", ["n"], ["n1"], axes=[0]) if opset < 13 else N("Unsqueeze", ["n", "zero_axis"], ["n1"]))
    nodes = [
        N("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        N("Relu", ["c"], ["r"]),
        N("Shape", ["r"], ["s"]),
        N("Constant", [], ["i0"], value=helper.make_tensor("i0v", TensorProto.INT64, [], [0])),
        N("Gather", ["s", "i0"], ["n"], axis=0),
    ]
    if opset >= 13:
        nodes.append(N("Constant", [], ["zero_axis"], value=helper.make_tensor("za", TensorProto.INT64, [1], [0])))
    nodes += [
        unsq,
        N("Constant", [], ["minus1"], value=helper.make_tensor("m1", TensorProto.INT64, [1], [-1])),
        N("Concat", ["n1", "minus1"], ["target"], axis=0),
        N("Reshape", ["r", "target"], ["y"]),
    ]
    case(f"view_flatten_opset{opset}", [2, 2, 4, 4], nodes, ["y"], opset,
         [f32("w", rng.standard_normal([3, 2, 3, 3])), f32("b", rng.standard_normal([3]))])


view_flatten(11)
view_flatten(13)

save_file(tensors, f"{out}/reference.safetensors")
print(len([k for k in tensors if k.endswith(".input")]), "cases,", sum(v.nbytes for v in tensors.values()), "bytes of reference")
