#!/usr/bin/env python3
"""Reference activations from onnxruntime for featmap's model tests.

Writes into Tests/FeatMapKitTests/Fixtures/models/:
  lenet5-mnist.onnx            copy of ../shared/models/lenet5/lenet5-mnist.onnx (MIT, see LICENSE-models.md)
  lenet-reference.safetensors  "input" [1,1,28,28]: MNIST test digit #0 normalised as (x/255 - 0.1307)/0.3081,
                               and every node output (ONNX tensor names "11", "12", …, "output_0"), complete.
  squeezenet-fire3.onnx        SqueezeNet 1.1 (fp16) cut after fire3/concat_1 (nodes, initializers and
                               initializer-inputs after it dropped; opset 7, fp16 kept).
  squeezenet-reference.safetensors
                               "input" [1,3,64,64] F16 (raw 0-255 RGB of a 64x64 crop of chelsea.png at (x=180, y=40),
                               integers, so exact in F16); for each node output NAME: "NAME.index" (I32, 256 flat
                               positions drawn with seed 0), "NAME.values" (F32 at those positions) and
                               "NAME.stats" (F32 [min, mean, max, max |x|] over the whole tensor), "NAME.shape" (I32).
  ops/CASE.onnx + ops-reference.safetensors
                               one small single-operator model per engine case (padding modes, dilation, groups,
                               pooling ceil/count_include_pad, broadcasting, Gemm flags, Softmax before/after
                               opset 13, Clip as attributes and as inputs, …) with "CASE.input" and "CASE.output"
                               from onnxruntime on seeded random inputs.

onnxruntime computes SqueezeNet in float32 on the weights widened from float16 (a lossless cast),
which is what featmap does; intermediate outputs are exposed by appending them to graph.output.
Run from the repository root: python3 Tests/scripts/model_fixtures.py [../shared]
"""
import gzip, os, shutil, sys
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
import onnxruntime as ort
from PIL import Image
from safetensors.numpy import save_file

shared = sys.argv[1] if len(sys.argv) > 1 else "../shared"
out = "Tests/FeatMapKitTests/Fixtures/models"
os.makedirs(out, exist_ok=True)


def with_all_outputs(model):
    """The model with every node output also listed as a graph output, all in float32."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    names = [o.name for o in m.graph.output]
    for n in m.graph.node:
        for o in n.output:
            if o and o not in names:
                m.graph.output.append(helper.make_tensor_value_info(o, TensorProto.FLOAT, None))
                names.append(o)
    return m, names


def widened_to_float32(model):
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for init in m.graph.initializer:
        if init.data_type == TensorProto.FLOAT16:
            init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float32), init.name))
    for vi in list(m.graph.input) + list(m.graph.output) + list(m.graph.value_info):
        if vi.type.tensor_type.elem_type == TensorProto.FLOAT16:
            vi.type.tensor_type.elem_type = TensorProto.FLOAT
    return m


def run(model, feeds):
    m, names = with_all_outputs(model)
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    return dict(zip(names, sess.run(names, feeds)))


# LeNet-5 on a real MNIST test digit.
lenet_path = f"{shared}/models/lenet5/lenet5-mnist.onnx"
shutil.copy(lenet_path, f"{out}/lenet5-mnist.onnx")
images = np.frombuffer(gzip.open(f"{shared}/data/mnist/t10k-images-idx3-ubyte.gz").read()[16:], np.uint8).reshape(-1, 28, 28)
digit = ((images[0].astype(np.float32) / 255 - 0.1307) / 0.3081).reshape(1, 1, 28, 28).astype(np.float32)
lenet = onnx.load(lenet_path)
# The export declares a batch of 10; onnxruntime needs the batch axis opened to run one digit.
lenet.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "N"
outs = run(lenet, {"input_0": digit})
tensors = {"input": digit}
tensors.update({k: np.ascontiguousarray(v.astype(np.float32)) for k, v in outs.items()})
save_file(tensors, f"{out}/lenet-reference.safetensors")
print("lenet:", {k: v.shape for k, v in outs.items()}, "class", int(outs["output_0"].argmax()))

# SqueezeNet 1.1 through fire3.
sq_path = f"{shared}/models/squeezenet/squeezenet1.1-fp16.onnx"
full = onnx.load(sq_path)
cut = onnx.ModelProto()
cut.CopyFrom(full)
last = [i for i, n in enumerate(full.graph.node) if "fire3/concat_1" in n.output][0]
del cut.graph.node[last + 1:]
used = {name for n in cut.graph.node for name in n.input}
keep_init = [t for t in full.graph.initializer if t.name in used]
del cut.graph.initializer[:]
cut.graph.initializer.extend(keep_init)
# Keep the opset-7 habit of listing initializers as graph inputs too.
keep_inputs = [i for i in full.graph.input if i.name in used]
del cut.graph.input[:]
cut.graph.input.extend(keep_inputs)
del cut.graph.output[:]
cut.graph.output.append(helper.make_tensor_value_info("fire3/concat_1", TensorProto.FLOAT16, None))
del cut.graph.value_info[:]
onnx.save(cut, f"{out}/squeezenet-fire3.onnx")
data_input = [i for i in cut.graph.input if i.name == "data_0"][0]
data_input.type.tensor_type.shape.dim[2].dim_param = "H"  # declared 224x224; the fixture input is 64x64
data_input.type.tensor_type.shape.dim[3].dim_param = "W"
photo = np.asarray(Image.open(f"{shared}/photos/chelsea.png").convert("RGB"))
crop = np.ascontiguousarray(photo[40:104, 180:244].transpose(2, 0, 1).astype(np.float32)[None])  # onnxruntime reads the raw buffer
outs = run(widened_to_float32(cut), {"data_0": crop})
rng = np.random.default_rng(0)
tensors = {"input": crop.astype(np.float16)}
for k, v in outs.items():
    flat = v.astype(np.float32).ravel()
    idx = np.sort(rng.choice(flat.size, size=min(256, flat.size), replace=False)).astype(np.int32)
    tensors[f"{k}.index"] = idx
    tensors[f"{k}.values"] = flat[idx]
    tensors[f"{k}.stats"] = np.array([flat.min(), flat.mean(), flat.max(), np.abs(flat).max()], np.float32)
    tensors[f"{k}.shape"] = np.array(v.shape, np.int32)
save_file(tensors, f"{out}/squeezenet-reference.safetensors")
print("squeezenet:", {k: v.shape for k, v in outs.items()})


# Single-operator cases for the engine, each checked against onnxruntime.
os.makedirs(f"{out}/ops", exist_ok=True)
rng = np.random.default_rng(1)


def case(name, nodes, x_shape, inits=(), opset=13):
    x = rng.standard_normal(x_shape).astype(np.float32)
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(np.asarray(v, dtype=np.float32 if np.asarray(v).dtype.kind == "f" else np.int64), k)
                               for k, v in inits])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 7

    onnx.save(model, f"{out}/ops/{name}.onnx")
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    y = sess.run(["y"], {"x": x})[0]
    ops_ref[f"{name}.input"] = x
    ops_ref[f"{name}.output"] = np.ascontiguousarray(y.astype(np.float32))


def w(*shape):
    return rng.standard_normal(shape).astype(np.float32)


N = helper.make_node
ops_ref = {}
case("conv_same_upper", [N("Conv", ["x", "w", "b"], ["y"], auto_pad="SAME_UPPER", strides=[2, 2])], [1, 2, 7, 8],
     [("w", w(3, 2, 3, 3)), ("b", w(3))])
case("conv_same_lower", [N("Conv", ["x", "w"], ["y"], auto_pad="SAME_LOWER")], [1, 2, 6, 7], [("w", w(2, 2, 4, 4))])
case("conv_pads_dilation", [N("Conv", ["x", "w", "b"], ["y"], pads=[1, 0, 2, 1], dilations=[2, 1], strides=[1, 2])],
     [1, 3, 9, 10], [("w", w(4, 3, 3, 2)), ("b", w(4))])
case("conv_groups", [N("Conv", ["x", "w", "b"], ["y"], group=2, pads=[1, 1, 1, 1])], [1, 4, 6, 6],
     [("w", w(6, 2, 3, 3)), ("b", w(6))])
case("conv_depthwise", [N("Conv", ["x", "w", "b"], ["y"], group=3, pads=[1, 1, 1, 1], strides=[2, 2])], [1, 3, 9, 8],
     [("w", w(3, 1, 3, 3)), ("b", w(3))])
case("maxpool_ceil", [N("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)], [1, 2, 8, 8])
case("maxpool_pads", [N("MaxPool", ["x"], ["y"], kernel_shape=[2, 3], strides=[2, 1], pads=[1, 1, 0, 1])], [1, 2, 7, 6])
case("avgpool_include_pad", [N("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                               count_include_pad=1, ceil_mode=1)], [1, 2, 8, 9])
case("avgpool_exclude_pad", [N("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                               ceil_mode=1)], [1, 2, 8, 9])
case("global_average_pool", [N("GlobalAveragePool", ["x"], ["y"])], [1, 5, 4, 3])
case("batch_normalization", [N("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], epsilon=1e-3)], [1, 3, 4, 4],
     [("s", w(3)), ("b", w(3)), ("m", w(3)), ("v", np.abs(w(3)) + 0.1)])
case("add_channel_bias", [N("Add", ["x", "b"], ["y"])], [1, 3, 4, 5], [("b", w(3, 1, 1))])
case("mul_last_axis", [N("Mul", ["x", "s"], ["y"])], [1, 3, 4, 5], [("s", w(5))])
case("activations", [N("LeakyRelu", ["x"], ["a"], alpha=0.2), N("Sigmoid", ["a"], ["b"]), N("Tanh", ["x"], ["c"]),
                     N("Add", ["b", "c"], ["d"]), N("Relu", ["d"], ["y"])], [1, 2, 5, 5])
case("clip_inputs", [N("Clip", ["x", "lo", "hi"], ["y"])], [1, 2, 4, 4], [("lo", np.float32(-0.5)), ("hi", np.float32(0.7))],
     opset=11)
case("clip_attributes", [N("Clip", ["x"], ["y"], min=-0.3, max=0.4)], [1, 2, 4, 4], opset=7)
case("flatten_gemm", [N("Flatten", ["x"], ["f"]), N("Gemm", ["f", "w", "c"], ["y"], transB=1, alpha=0.5, beta=2.0)],
     [1, 2, 3, 4], [("w", w(7, 24)), ("c", w(7))])
case("gemm_transpose_a", [N("Reshape", ["x", "s"], ["r"]), N("Gemm", ["r", "w"], ["y"], transA=1)], [1, 6, 1, 1],
     [("s", np.array([6, 1], np.int64)), ("w", w(6, 5))])
case("matmul", [N("Reshape", ["x", "s"], ["r"]), N("MatMul", ["r", "w"], ["y"])], [1, 2, 3, 4],
     [("s", np.array([0, -1], np.int64)), ("w", w(24, 5))])
case("transpose_reshape", [N("Transpose", ["x"], ["t"], perm=[0, 2, 3, 1]), N("Reshape", ["t", "s"], ["y"])], [1, 3, 4, 5],
     [("s", np.array([0, 4, -1], np.int64))])
case("softmax_opset13", [N("Softmax", ["x"], ["y"], axis=1)], [1, 3, 4])
case("softmax_opset11", [N("Softmax", ["x"], ["y"], axis=1)], [1, 3, 4], opset=11)
case("concat_dropout_constant", [N("Constant", [], ["k"], value=numpy_helper.from_array(w(1, 2, 3, 3), "k")),
                                 N("Dropout", ["x"], ["d"]), N("Concat", ["d", "k", "x"], ["y"], axis=1)], [1, 1, 3, 3])
save_file(ops_ref, f"{out}/ops-reference.safetensors")
print("ops:", len(ops_ref) // 2, "cases")

# Resizing as Pillow does it (mode "F", Image.BILINEAR, which is antialiased when shrinking):
# "patch" is a 40x30 RGB crop of chelsea.png at (x=200, y=60) as [3, 30, 40]; "crop16" is each channel
# resized into 16x16 from the centred square box (5, 0, 35, 30) — what fit=crop does; "stretch25x50"
# is each channel stretched to width 25, height 50.
patch = photo[60:90, 200:240].astype(np.float32)
chw = np.ascontiguousarray(patch.transpose(2, 0, 1))
def pil(plane, size, box=None):
    return np.asarray(Image.fromarray(plane, "F").resize(size, Image.BILINEAR, box=box), np.float32)
save_file({"patch": chw,
           "crop16": np.stack([pil(c, (16, 16), (5, 0, 35, 30)) for c in chw]),
           "stretch25x50": np.stack([pil(c, (25, 50)) for c in chw])}, f"{out}/resize-reference.safetensors")
print("resize reference written")
