#!/usr/bin/env python3
"""onnxruntime references for whole models: every layer of SqueezeNet 1.1 at 224x224, and LeNet-5's
predictions on the first 1,000 MNIST test digits.

Writes into Tests/FeatMapKitTests/Fixtures/:
  models/squeezenet-224-reference.safetensors
      "input" U8 [1,3,224,224]: samples/chelsea.png (451x300 RGB) fitted as featmap's `--fit crop`
      does (the centred 300x300 box (75.5, 0, 375.5, 300) resized to 224x224 by Pillow's
      Image.resize(..., BILINEAR, box=...)), rounded to 8 bits by Pillow, raw 0-255 RGB as the
      model's metadata says (range 0,255, no mean/std). Both onnxruntime and the test feed exactly
      these integers as float32.
      For each node output NAME (ONNX tensor names, all 66 nodes, in graph order in "order"):
        "NAME.shape"    I32, the output's shape;
        "NAME.sampling" I32 [offset, stride, count]: flat positions offset + i*stride, i < count.
                        Tensors of at most 4096 values are complete (0, 1, n); larger ones are a dense
                        strided subsample of about 3000 values, the stride coprime with H*W and W so
                        successive channels are sampled at different places, the offset chosen so that
                        the last sample is the tensor's last element;
        "NAME.values"   F32, onnxruntime's values at those positions;
        "NAME.stats"    F32 [min, mean, max, max |x|, L2 norm] over the whole tensor (float64 sums).
      "order" is not a tensor: the header's __metadata__ holds {"order": [...]} as JSON.
  mnist/t10k-images-1000-idx3-ubyte.gz, mnist/t10k-labels-1000-idx1-ubyte.gz
      The first 1,000 images and labels of MNIST's test set, in the original IDX format (magic 2051
      and 2049, counts rewritten to 1000), gzipped.
  mnist/lenet-onnxruntime-1000.safetensors
      "probabilities" F32 [1000,10]: onnxruntime's LeNet-5 output (its last node is a Softmax) for each
      digit normalised as (x/255 - 0.1307)/0.3081 (samples/lenet.weights' featmap.preprocessing:
      range 0,1, mean 0.1307, std 0.3081), the 28x28 digit fed unchanged; "predicted" I32 [1000],
      the argmax; "labels" I32 [1000]; "correct" I32 [1], how many predictions equal the labels.

The SqueezeNet test runs the committed Tests/FeatMapCLITests/Fixtures/models/squeezenet1.1.weights
(the whole model, converted from the shared ONNX file by `featmap convert`). So that the reference
and that file describe the same network, this script checks that every initializer of the ONNX model
is in the .weights file with the same float16 bits, and that its architecture lists the same nodes
(operator, inputs, outputs) in the same order; it stops if not.

Run from the repository root: python3 Tests/scripts/whole_model_fixtures.py [../shared]
"""
import gzip, json, math, os, struct, sys
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
import onnxruntime as ort
from PIL import Image
from safetensors.numpy import save_file, load_file

shared = sys.argv[1] if len(sys.argv) > 1 else "../shared"
fixtures = "Tests/FeatMapKitTests/Fixtures"
os.makedirs(f"{fixtures}/models", exist_ok=True)
os.makedirs(f"{fixtures}/mnist", exist_ok=True)


def with_all_outputs(model):
    m = onnx.ModelProto()
    m.CopyFrom(model)
    names = []
    for n in m.graph.node:
        o = n.output[0]
        if o not in names:
            names.append(o)
    have = {o.name for o in m.graph.output}
    for o in names:
        if o not in have:
            m.graph.output.append(helper.make_tensor_value_info(o, TensorProto.FLOAT, None))
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


# ---- SqueezeNet 1.1, whole, 224x224 ----
sq = onnx.load(f"{shared}/models/squeezenet/squeezenet1.1-fp16.onnx")

# The committed .weights must hold this very network.
wpath = "Tests/FeatMapCLITests/Fixtures/models/squeezenet1.1.weights"
raw = open(wpath, "rb").read()
hlen = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + hlen])
arch = json.loads(header["__metadata__"]["featmap.architecture"])
weights = load_file(wpath)
for init in sq.graph.initializer:
    a = numpy_helper.to_array(init)
    b = weights[init.name]
    assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), init.name
onnx_nodes = [(n.op_type, list(n.input), list(n.output)) for n in sq.graph.node]
weights_nodes = [(n["op"], n["inputs"], n["outputs"]) for n in arch["nodes"]]
assert onnx_nodes == weights_nodes, "squeezenet1.1.weights does not list the ONNX model's nodes"

photo = Image.open("samples/chelsea.png").convert("RGB")
assert photo.size == (451, 300)
# featmap's crop fit: scale s = max(224/451, 224/300); the box of 224/s = 300 pixels, centred.
fitted = photo.resize((224, 224), Image.BILINEAR, box=(75.5, 0, 375.5, 300))
x = np.ascontiguousarray(np.asarray(fitted).transpose(2, 0, 1)[None])  # [1,3,224,224] uint8
m, names = with_all_outputs(widened_to_float32(sq))
sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
outs = dict(zip(names, sess.run(names, {"data_0": x.astype(np.float32)})))
tensors = {"input": x}
total = 0
for name in names:
    v = outs[name].astype(np.float32)
    flat = v.ravel()
    n = flat.size
    if n <= 4096:
        offset, stride, count = 0, 1, n
    else:
        plane = v.shape[-1] * v.shape[-2] if v.ndim == 4 else n
        stride = math.ceil(n / 3000)
        while math.gcd(stride, plane) != 1 or math.gcd(stride, v.shape[-1]) != 1:
            stride += 1
        offset = (n - 1) % stride
        count = (n - 1 - offset) // stride + 1
    idx = offset + stride * np.arange(count)
    assert idx[-1] == n - 1
    d = flat.astype(np.float64)
    tensors[f"{name}.shape"] = np.array(v.shape, np.int32)
    tensors[f"{name}.sampling"] = np.array([offset, stride, count], np.int32)
    tensors[f"{name}.values"] = np.ascontiguousarray(flat[idx])
    tensors[f"{name}.stats"] = np.array([d.min(), d.mean(), d.max(), np.abs(d).max(), np.sqrt((d * d).sum())], np.float32)
    total += count
save_file(tensors, f"{fixtures}/models/squeezenet-224-reference.safetensors", metadata={"order": json.dumps(names)})
probabilities = outs[names[-1]].ravel()
top = int(probabilities.argmax())
print(f"squeezenet: {len(names)} layers, {total} stored values, top-1 {top} ({probabilities[top]:.4f})")
assert top == 285

# ---- MNIST: the first 1,000 test digits through LeNet-5 ----
N = 1000
img_bytes = gzip.open(f"{shared}/data/mnist/t10k-images-idx3-ubyte.gz").read()
lab_bytes = gzip.open(f"{shared}/data/mnist/t10k-labels-idx1-ubyte.gz").read()
assert struct.unpack(">IIII", img_bytes[:16]) == (2051, 10000, 28, 28)
assert struct.unpack(">II", lab_bytes[:8]) == (2049, 10000)
images = np.frombuffer(img_bytes[16:16 + N * 784], np.uint8).reshape(N, 28, 28)
labels = np.frombuffer(lab_bytes[8:8 + N], np.uint8)
# mtime=0 so that the files do not change when regenerated.
with open(f"{fixtures}/mnist/t10k-images-1000-idx3-ubyte.gz", "wb") as f:
    f.write(gzip.compress(struct.pack(">IIII", 2051, N, 28, 28) + images.tobytes(), 9, mtime=0))
with open(f"{fixtures}/mnist/t10k-labels-1000-idx1-ubyte.gz", "wb") as f:
    f.write(gzip.compress(struct.pack(">II", 2049, N) + labels.tobytes(), 9, mtime=0))

lenet = onnx.load(f"{shared}/models/lenet5/lenet5-mnist.onnx")
lenet.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "N"  # declared batch 10
lenet.graph.output[0].type.tensor_type.shape.dim[0].dim_param = "N"
sess = ort.InferenceSession(lenet.SerializeToString(), providers=["CPUExecutionProvider"])
normalised = ((images.astype(np.float32) / 255 - np.float32(0.1307)) / np.float32(0.3081)).reshape(N, 1, 28, 28)
# One digit at a time, as featmap runs them (the batch of one changes nothing in onnxruntime's sums).
p = np.concatenate([sess.run(None, {"input_0": normalised[i:i + 1]})[0] for i in range(N)]).astype(np.float32)
assert p.shape == (N, 10)
predicted = p.argmax(1).astype(np.int32)
correct = int((predicted == labels).sum())
save_file({"probabilities": np.ascontiguousarray(p), "predicted": predicted, "labels": labels.astype(np.int32),
           "correct": np.array([correct], np.int32)}, f"{fixtures}/mnist/lenet-onnxruntime-1000.safetensors")
print(f"lenet: {correct}/{N} correct on the first {N} MNIST test digits")
