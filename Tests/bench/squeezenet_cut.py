"""SqueezeNet 1.1 (the shared float16 file) widened to float32 and cut after fire3 at SIZE², for the
benchmark's peers (onnxruntime computes in float32, as featmap does with the weights widened).

    python3 Tests/bench/squeezenet_cut.py SQUEEZENET.onnx SIZE OUT.onnx
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper


def cut(model_path, size, out):
    m = onnx.load(model_path)
    for init in m.graph.initializer:
        if init.data_type == TensorProto.FLOAT16:
            init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float32), init.name))
    inits = {i.name for i in m.graph.initializer}
    for v in list(m.graph.input) + list(m.graph.output) + list(m.graph.value_info):
        if v.type.tensor_type.elem_type == TensorProto.FLOAT16:
            v.type.tensor_type.elem_type = TensorProto.FLOAT
    real_inputs = [i for i in m.graph.input if i.name not in inits]
    # An IR < 4 model lists its initializers as graph inputs; the extractor drops them, and the checker
    # then rejects the cut model. IR 4 lets initializers stand alone, so keep only the real input.
    del m.graph.input[:]
    m.graph.input.extend(real_inputs)
    m.ir_version = max(m.ir_version, 4)
    dims = m.graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_value = size
    dims[3].dim_value = size
    del m.graph.value_info[:]
    full = out + ".full.onnx"
    onnx.save(m, full)
    onnx.utils.extract_model(full, out, [m.graph.input[0].name], ["fire3/concat_1"])
    os.remove(full)


if __name__ == "__main__":
    cut(sys.argv[1], int(sys.argv[2]), sys.argv[3])
