"""torchvision's architectures (BSD-3-Clause, the PyTorch vision project) through both PyTorch exporters,
torch.onnx.export(..., dynamo=True) at the opset it chooses and the legacy TorchScript exporter
(dynamo=False) at opset 17, with onnxruntime's value of every intermediate tensor.

Architectures (eval mode, random weights: fidelity needs no training), some narrowed to keep the test fast:
resnet18; mobilenet_v2 (width_mult 0.5); mobilenet_v3_small and mobilenet_v3_large (width_mult 0.5);
efficientnet_b0 (width_mult 0.5); shufflenet_v2_x0_5; densenet121 (its block layout 6-12-24-16, growth
rate 16, 32 initial features); googlenet and inception_v3 (aux_logits off, transform_input off,
init_weights off); convnext_tiny (its depths 3-3-9-3, widths halved to 48-96-192-384); regnet_y_400mf.
Each classifier has 100 classes. Input 1×3×64×64 (inception_v3, which needs 75 or more: 1×3×80×80).
Parameters and BatchNorm statistics are made non-trivial before the export (`randomise`), so that no
exporter removes a BatchNorm of unit statistics or merges equal initializers; both then fold each
BatchNorm that follows a Conv into it, as they would for a trained model.

The files stay small the way the onnx wheel's light zoo models do: every float initializer of more than
one value becomes a ConstantOfShape fill (value 1) of its shape (and the exporters' annotations, dynamo's
stack traces per node and value_info, are dropped); scalars (epsilons, HardSwish's 3 and 6,
Gelu's constants) and integer tensors (shapes, axes) stay real initializers. The weights are then the
zoo's deterministic hash (`zoo_values` of zoo_fixtures.py, ZooWeights in the Swift tests): they are
given to every *folded* tensor, the constant a layer reads after featmap's constant folding at load (a
fill, or the Transpose, Identity or Reshape of one, as the exporters write for MatMul weights and
shared initializers), with the role of its first reader among the nodes that are not constants (the zoo's rule, extended to
MatMul weights, He-uniform over the fan-in shape[−2], and LayerNormalization, scale 1 ± 0.2, bias ± 0.1).

Writes Tests/FeatMapKitTests/Fixtures/torchvision/ARCH-dynamo.onnx, ARCH-legacy.onnx and for each a
.safetensors as zoo_fixtures.py writes them: `input`; for every node output V `V/stats` [min, mean, max,
L2] and `V/samples` (64 values at flat indices i·(n − 1) ÷ 63); `output` (the logits, complete);
metadata `data_input`, `output`, `filled` (the tensors given hash values, comma-separated), `exporter`,
`opset`.
Run: python3 Tests/scripts/torchvision_fixtures.py [ARCH ...]  (torch, torchvision, onnx, onnxscript,
onnxruntime, numpy, safetensors)
"""
import io
import os
import sys
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torchvision
from onnx import helper, numpy_helper
from safetensors.numpy import save_file
from torchvision import models as tvm
from torchvision.models import convnext, efficientnet

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zoo_fixtures import every_node_output, input_image, stats_and_samples, zoo_values  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "FeatMapKitTests", "Fixtures", "torchvision")
CLASSES = 100
LEGACY_OPSET = 17


def build(arch):
    """The model in eval mode, and its input size."""
    if arch == "resnet18":
        m = tvm.resnet18(num_classes=CLASSES)
    elif arch == "mobilenet_v2":
        m = tvm.mobilenet_v2(width_mult=0.5, num_classes=CLASSES)
    elif arch == "mobilenet_v3_small":
        m = tvm.mobilenet_v3_small(width_mult=0.5, num_classes=CLASSES)
    elif arch == "mobilenet_v3_large":
        m = tvm.mobilenet_v3_large(width_mult=0.5, num_classes=CLASSES)
    elif arch == "efficientnet_b0":
        setting, last = efficientnet._efficientnet_conf("efficientnet_b0", width_mult=0.5, depth_mult=1.0)
        m = efficientnet.EfficientNet(setting, dropout=0.2, last_channel=last, num_classes=CLASSES)
    elif arch == "shufflenet_v2_x0_5":
        m = tvm.shufflenet_v2_x0_5(num_classes=CLASSES)
    elif arch == "densenet121":
        m = tvm.DenseNet(growth_rate=16, block_config=(6, 12, 24, 16), num_init_features=32, num_classes=CLASSES)
    elif arch == "googlenet":
        m = tvm.googlenet(aux_logits=False, transform_input=False, init_weights=False, num_classes=CLASSES)
    elif arch == "inception_v3":
        m = tvm.inception_v3(aux_logits=False, transform_input=False, init_weights=False, num_classes=CLASSES)
        return m.eval(), 80
    elif arch == "convnext_tiny":
        C = convnext.CNBlockConfig
        m = convnext.ConvNeXt([C(48, 96, 3), C(96, 192, 3), C(192, 384, 9), C(384, None, 3)], num_classes=CLASSES)
    elif arch == "regnet_y_400mf":
        m = tvm.regnet_y_400mf(num_classes=CLASSES)
    else:
        raise SystemExit(f"unknown architecture {arch}")
    return m.eval(), 64


def randomise(model):
    """Non-trivial parameters and statistics before the export, so that no exporter folds a BatchNorm
    of unit statistics away or merges initializers that happen to be equal (the values in the files are
    replaced by fills anyway)."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, t in list(model.named_parameters()) + list(model.named_buffers()):
            if not t.is_floating_point():
                continue
            u = torch.rand(t.shape, generator=g)
            if name.endswith("running_var"):
                t.copy_(0.5 + u)
            else:
                t.copy_((u - 0.5) * 0.2 + (1.0 if name.endswith("weight") and t.dim() == 1 else 0.0))
    return model


ARCHS = ["resnet18", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0",
         "shufflenet_v2_x0_5", "densenet121", "googlenet", "inception_v3", "convnext_tiny", "regnet_y_400mf"]


def export(model, x, exporter):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if exporter == "dynamo":
            return torch.onnx.export(model, (x,), dynamo=True, verbose=False).model_proto
        buf = io.BytesIO()
        torch.onnx.export(model, (x,), buf, dynamo=False, opset_version=LEGACY_OPSET,
                          input_names=["input"], output_names=["output"])
        return onnx.load_from_string(buf.getvalue())


def lighten(m):
    """Every float initializer of more than one value becomes a ConstantOfShape fill of value 1; the
    exporters' annotations (dynamo's per-node stack traces and module names, value_info) are dropped."""
    g = m.graph
    for n in g.node:
        del n.metadata_props[:]
        n.doc_string = ""
    del g.value_info[:]
    keep, fills = [], []
    for t in g.initializer:
        a = numpy_helper.to_array(t)
        if a.dtype in (np.float32, np.float16, np.float64) and a.size > 1:
            shape_name = f"{t.name}__shape"
            keep.append(numpy_helper.from_array(np.array(a.shape, dtype=np.int64), shape_name))
            fills.append(helper.make_node("ConstantOfShape", [shape_name], [t.name], name=f"{t.name}__fill",
                                          value=numpy_helper.from_array(np.ones(1, dtype=a.dtype))))
        else:
            keep.append(t)
    del g.initializer[:]
    g.initializer.extend(keep)
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(fills + nodes)
    # No graph input may name an initializer that has become a node output.
    filled = {n.output[0] for n in fills}
    inputs = [i for i in g.input if i.name not in filled]
    del g.input[:]
    g.input.extend(inputs)
    return m


def constants(g):
    """The values featmap folds at load: initializers and the outputs of nodes whose inputs are all
    constants (ConstantOfShape fills, Constant nodes, Transposes of weights …), and those that depend on a fill."""
    const = {t.name for t in g.initializer}
    from_fill = set()
    const_nodes = []
    for n in g.node:
        ins = [i for i in n.input if i]
        if all(i in const for i in ins):
            const.update(o for o in n.output if o)
            const_nodes.append(n)
            if n.op_type == "ConstantOfShape" or any(i in from_fill for i in ins):
                from_fill.update(o for o in n.output if o)
    return const, from_fill, const_nodes


def fill_values(m):
    """The hash values of every folded tensor a layer reads that depends on a fill, by name."""
    g = m.graph
    const, from_fill, _ = constants(g)
    layers = [n for n in g.node if not all(i in const for i in n.input if i)]
    # Evaluate the constant subgraph once with onnxruntime to learn each folded tensor's shape.
    wanted = sorted({i for n in layers for i in n.input if i in from_fill})
    probe = onnx.ModelProto()
    probe.CopyFrom(m)
    pg = probe.graph
    const_only = [n for n in pg.node if all(i in const for i in n.input if i)]
    del pg.node[:]
    pg.node.extend(const_only)
    del pg.output[:]
    del pg.input[:]
    pg.output.extend(helper.make_empty_tensor_value_info(w) for w in wanted)
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.log_severity_level = 3
    shapes = {w: v.shape for w, v in zip(wanted, ort.InferenceSession(probe.SerializeToString(), opts,
                                                                       providers=["CPUExecutionProvider"]).run(wanted, {}))}
    # The role comes from the first reader among the layers, as ZooWeights reads featmap's folded graph.
    layer_graph = helper.make_graph(layers, "layers", [], [])
    return {w: zoo_values(layer_graph, w, list(shapes[w])) for w in wanted}, layers


def reference(m, values, layers, x):
    """onnxruntime's value of every node output: the graph with the folded tensors as initializers."""
    r = onnx.ModelProto()
    r.CopyFrom(m)
    g = r.graph
    const, from_fill, const_nodes = constants(g)
    # Constant nodes that do not depend on a fill stay (shape subgraphs, Constant nodes).
    kept = [n for n in g.node if not (n in const_nodes and any(o in from_fill for o in n.output))]
    del g.node[:]
    g.node.extend(kept)
    g.initializer.extend(numpy_helper.from_array(v, k) for k, v in values.items())
    data = g.input[0].name
    return every_node_output(r, {data: x}), data


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    for arch in sys.argv[1:] or ARCHS:
        model, size = build(arch)
        model = randomise(model)
        x = input_image(size)
        for exporter in ("dynamo", "legacy"):
            m = lighten(export(model, torch.from_numpy(x), exporter))
            onnx.checker.check_model(m)
            onnx.save(m, os.path.join(OUT, f"{arch}-{exporter}.onnx"))
            values, layers = fill_values(m)
            outs, data = reference(m, values, layers, x)
            arrays = {"input": x}
            for o, v in outs.items():
                v = np.asarray(v)
                if v.dtype != np.float32 or v.size == 0:
                    continue
                s, samples, _ = stats_and_samples(v)
                arrays[f"{o}/stats"] = s
                arrays[f"{o}/samples"] = samples
            final = np.asarray(outs[m.graph.output[0].name], dtype=np.float32)
            arrays["output"] = final.reshape(-1)
            save_file(arrays, os.path.join(OUT, f"{arch}-{exporter}.safetensors"),
                      metadata={"data_input": data, "output": m.graph.output[0].name, "filled": ",".join(sorted(values)),
                                "exporter": f"{exporter} torch {torch.__version__} torchvision {torchvision.__version__}",
                                "opset": str(next(o.version for o in m.opset_import if o.domain in ("", "ai.onnx")))})
            ops = sorted({n.op_type for n in layers})
            print(arch, exporter, len(layers), "layers", len(values), "filled,", "ops:", " ".join(ops), flush=True)


if __name__ == "__main__":
    main()
