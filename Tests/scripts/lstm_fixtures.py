"""LSTM cases for Tests/FeatMapKitTests/RecurrentOperatorTests.swift, each computed by onnxruntime.

Writes Tests/FeatMapKitTests/Fixtures/lstm/NAME.onnx (one LSTM node; X the graph input, every other
input an initializer) and NAME.safetensors: `X`, and onnxruntime's `Y`, `Y_h`, `Y_c` complete.
The cases cover the default forward pass with biases, bidirectional with initial states and
sequence_lens (the reverse direction starting at each sequence's own end), a sequence of length 0
(zero outputs and zero last states, not the initial ones), reverse with peepholes,
clip and input_forget, other activations with their α/β, and opset 14's layout 1 (onnxruntime does not take it:
it computes the same problem in layout 0, axes permuted).
Run: python3 Tests/scripts/lstm_fixtures.py  (onnx, onnxruntime, numpy, safetensors)
"""
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "FeatMapKitTests", "Fixtures", "lstm")


def case(name, seq, batch, inp, hidden, direction="forward", bias=True, lens=None, initial=False, peepholes=False,
         attrs=None, opset=13, layout=0):
    rng = np.random.RandomState(len(name) * 7919 + seq)
    dirs = 2 if direction == "bidirectional" else 1
    x = rng.uniform(-1, 1, (batch, seq, inp) if layout else (seq, batch, inp)).astype(np.float32)
    inits = {"W": rng.uniform(-0.6, 0.6, (dirs, 4 * hidden, inp)).astype(np.float32),
             "R": rng.uniform(-0.6, 0.6, (dirs, 4 * hidden, hidden)).astype(np.float32)}
    names = ["X", "W", "R"]
    names.append("B" if bias else "")
    if bias:
        inits["B"] = rng.uniform(-0.4, 0.4, (dirs, 8 * hidden)).astype(np.float32)
    names.append("L" if lens is not None else "")
    if lens is not None:
        inits["L"] = np.array(lens, dtype=np.int32)
    state = (batch, dirs, hidden) if layout else (dirs, batch, hidden)
    names += ["H0", "C0"] if initial else ["", ""]
    if initial:
        inits["H0"] = rng.uniform(-0.5, 0.5, state).astype(np.float32)
        inits["C0"] = rng.uniform(-0.5, 0.5, state).astype(np.float32)
    if peepholes:
        names.append("P")
        inits["P"] = rng.uniform(-0.5, 0.5, (dirs, 3 * hidden)).astype(np.float32)
    while names and names[-1] == "":
        names.pop()
    a = {"hidden_size": hidden, "direction": direction}
    if layout:
        a["layout"] = layout
    a.update(attrs or {})
    node = helper.make_node("LSTM", names, ["Y", "Y_h", "Y_c"], **a)
    y_shape = [batch, seq, dirs, hidden] if layout else [seq, dirs, batch, hidden]
    g = helper.make_graph([node], name, [helper.make_tensor_value_info("X", TensorProto.FLOAT, list(x.shape))],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, y_shape),
                           helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, list(state)),
                           helper.make_tensor_value_info("Y_c", TensorProto.FLOAT, list(state))],
                          [numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    if layout:
        # onnxruntime does not take layout 1 ("batchwise recurrent operations are not supported"), and
        # onnx's reference implementation gets it wrong (its Y differs by 0.58 here from the same problem
        # in layout 0): layout 1 only permutes axes, so onnxruntime computes the layout-0 problem with X,
        # initial_h and initial_c permuted, and its outputs are permuted back.
        m0 = onnx.ModelProto()
        m0.CopyFrom(m)
        g0 = m0.graph
        for t in g0.initializer:
            if t.name in ("H0", "C0"):
                t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t).transpose(1, 0, 2).copy(), t.name))
        n0 = g0.node[0]
        for at in [at for at in n0.attribute if at.name == "layout"]:
            n0.attribute.remove(at)
        x0 = x.transpose(1, 0, 2).copy()
        del g0.input[:]
        g0.input.append(helper.make_tensor_value_info("X", TensorProto.FLOAT, list(x0.shape)))
        del g0.output[:]
        g0.output.extend(helper.make_empty_tensor_value_info(o) for o in ["Y", "Y_h", "Y_c"])
        y, yh, yc = ort.InferenceSession(m0.SerializeToString(), opts, providers=["CPUExecutionProvider"]).run(None, {"X": x0})
        y, yh, yc = (np.ascontiguousarray(y.transpose(2, 0, 1, 3)), np.ascontiguousarray(yh.transpose(1, 0, 2)),
                     np.ascontiguousarray(yc.transpose(1, 0, 2)))
    else:
        y, yh, yc = ort.InferenceSession(m.SerializeToString(), opts, providers=["CPUExecutionProvider"]).run(None, {"X": x})
    onnx.save(m, os.path.join(OUT, f"{name}.onnx"))
    save_file({"X": x, "Y": y, "Y_h": yh, "Y_c": yc}, os.path.join(OUT, f"{name}.safetensors"))
    print(name, y.shape, float(np.abs(y).max()))


def main():
    os.makedirs(OUT, exist_ok=True)
    case("forward", 5, 2, 3, 4)
    case("bidirectional_lens", 5, 3, 3, 4, direction="bidirectional", lens=[5, 3, 1], initial=True)
    case("zero_length", 3, 2, 3, 2, direction="reverse", lens=[3, 0], initial=True)
    case("reverse_peephole_clip", 6, 2, 3, 5, direction="reverse", peepholes=True, initial=True,
         attrs={"clip": 0.7, "input_forget": 1})
    case("layout1", 4, 2, 3, 4, direction="bidirectional", initial=True, opset=14, layout=1)
    case("activations", 4, 2, 3, 4, direction="bidirectional", initial=True,
         attrs={"activations": ["HardSigmoid", "LeakyRelu", "Softsign", "Sigmoid", "ScaledTanh", "Affine"],
                "activation_alpha": [0.3, 0.2, 0.8, 1.5], "activation_beta": [0.4, 0.6, 0.25]})


if __name__ == "__main__":
    main()
