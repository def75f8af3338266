"""ONNX models whose tensors live in external files (onnx.save_model(..., save_as_external_data=True)),
for issue 14's external-data reading, from LeNet-5 (Tests/FeatMapKitTests/Fixtures/models/lenet5-mnist.onnx,
whose weights the CLI tests also run embedded, to compare).

Writes Tests/FeatMapCLITests/Fixtures/external/:
  one/lenet.onnx + one/lenet.data    every tensor in one file (all_tensors_to_one_file=True, size_threshold=0)
  many/lenet.onnx + many/<tensor>    one file per tensor (all_tensors_to_one_file=False), tensors under 1 KiB
                                     kept inside the model (the default size_threshold)
  hostile/good.onnx + tiny.data      one 3×3 Conv, x [1, 1, 8, 8] → y [1, 2, 8, 8], bias 'b' at offset 0 and
                                     weight 'w' at offset 8 of tiny.data; x.npy and onnxruntime's good-y.npy
  hostile/*.onnx                     the same with 'w' pointing somewhere bad:
    absolute.onnx      location '/tmp/tiny.data' (absolute)
    dotdot.onnx        location '../hostile/tiny.data' (a '..' component, though it lands on the file)
    missing.onnx       location 'nowhere.data' (no such file)
    truncated.onnx     location 'truncated.data', the first 40 bytes of tiny.data (w needs bytes 8…80)
    offset.onnx        offset 4096, past the end of tiny.data
    length.onnx        length 68, 4 bytes short of w's 72
    link.onnx          location 'link.data', which the test creates at run time as a symbolic link
                       (git keeps links badly): to a file outside the folder (refused) or inside it (read)
Run: python3 Tests/scripts/external_data_fixtures.py  (onnx, onnxruntime, numpy)
"""
import os
import shutil

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "FeatMapKitTests", "Fixtures", "models", "lenet5-mnist.onnx")
OUT = os.environ.get("OUT") or os.path.join(HERE, "..", "FeatMapCLITests", "Fixtures", "external")

shutil.rmtree(OUT, ignore_errors=True)
for d in ("one", "many", "hostile"):
    os.makedirs(os.path.join(OUT, d))

onnx.save_model(onnx.load(SOURCE), os.path.join(OUT, "one", "lenet.onnx"), save_as_external_data=True,
                all_tensors_to_one_file=True, location="lenet.data", size_threshold=0)
onnx.save_model(onnx.load(SOURCE), os.path.join(OUT, "many", "lenet.onnx"), save_as_external_data=True,
                all_tensors_to_one_file=False)
# The hostile models are one small Conv (input [1, 1, 8, 8], weight 'w' [2, 1, 3, 3], bias 'b' [2]) whose
# tensors sit in hostile/tiny.data: 'b' at offset 0 (8 bytes), 'w' at offset 8 (72 bytes).
w = (np.arange(18, dtype=np.float32).reshape(2, 1, 3, 3) - 9) / 8
b = np.array([0.5, -0.25], dtype=np.float32)
with open(os.path.join(OUT, "hostile", "tiny.data"), "wb") as f:
    f.write(b.tobytes() + w.tobytes())
with open(os.path.join(OUT, "hostile", "truncated.data"), "wb") as f:
    f.write((b.tobytes() + w.tobytes())[:40])


def external(name, dims, location, offset, length):
    t = onnx.TensorProto(name=name, data_type=onnx.TensorProto.FLOAT, dims=dims,
                         data_location=onnx.TensorProto.EXTERNAL)
    for k, v in (("location", location), ("offset", offset), ("length", length)):
        if v is not None:
            t.external_data.add(key=k, value=str(v))
    return t


def hostile(name, location="tiny.data", offset=8, length=72):
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv", pads=[1, 1, 1, 1])], "tiny",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 2, 8, 8])],
        [external("b", [2], "tiny.data", 0, 8), external("w", [2, 1, 3, 3], location, offset, length)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    with open(os.path.join(OUT, "hostile", name + ".onnx"), "wb") as f:
        f.write(model.SerializeToString())


hostile("good")
hostile("absolute", location="/tmp/tiny.data")
hostile("dotdot", location="../hostile/tiny.data")
hostile("missing", location="nowhere.data")
hostile("truncated", location="truncated.data")
hostile("offset", offset=4096)
hostile("length", length=68)
hostile("link", location="link.data")
# onnxruntime's output of the good one on x = arange(64) / 64, for the test.
x = (np.arange(64, dtype=np.float32) / 64).reshape(1, 1, 8, 8)
np.save(os.path.join(OUT, "hostile", "x.npy"), x)
session = ort.InferenceSession(os.path.join(OUT, "hostile", "good.onnx"), providers=["CPUExecutionProvider"])
np.save(os.path.join(OUT, "hostile", "good-y.npy"), session.run(None, {"x": x})[0])
print("done", OUT)
