#!/usr/bin/env python3
"""onnxruntime references for featmap's resizing, ConvTranspose and LpPool operators (issue 14).

Writes into Tests/FeatMapKitTests/Fixtures/ops14/spatial/:
  CASE.onnx                one single-node model per case (scales, sizes, roi, weights and biases as
                           initializers), 4-D float input "x" and output "y";
  reference.safetensors    "CASE.input" (seeded normal values) and "CASE.output" from onnxruntime 1.32's
                           CPU provider (graph optimisations off);
  cases.txt                the case names, one a line.
Run from the repository root: python3 Tests/scripts/ops14_spatial_fixtures.py
"""
import os
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
import onnxruntime as ort
from safetensors.numpy import save_file

out = "Tests/FeatMapKitTests/Fixtures/ops14/spatial"
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(14)
tensors, names = {}, []


def case(name, op, opset, x_shape, attrs=None, inits=(), input_names=None, image=None):
    """inits: list of (name, array) or None for an omitted (empty-named) input."""
    ins = ["x"]
    initializers = []
    for item in inits:
        if item is None:
            ins.append("")
            continue
        n, a = item
        ins.append(n)
        initializers.append(numpy_helper.from_array(a, n))
    while ins and ins[-1] == "":
        ins.pop()
    node = helper.make_node(op, ins, ["y"], **(attrs or {}))
    graph = helper.make_graph([node], name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    x = rng.standard_normal(x_shape).astype(np.float32) if image is None else image
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    y = sess.run(None, {"x": x})[0]
    onnx.save(model, f"{out}/{name}.onnx")
    tensors[f"{name}.input"] = x
    tensors[f"{name}.output"] = np.ascontiguousarray(y.astype(np.float32))
    names.append(name)


f32 = lambda v: np.array(v, dtype=np.float32)
i64 = lambda v: np.array(v, dtype=np.int64)
empty = f32([])
X = (1, 2, 5, 7)

# Upsample 7 (scales attribute) and 9 (scales input); Resize 10 (scales input, asymmetric).
for mode in ["nearest", "linear"]:
    case(f"upsample7_{mode}", "Upsample", 7, X, {"mode": mode, "scales": [1.0, 1.0, 2.0, 3.0]})
    case(f"upsample9_{mode}", "Upsample", 9, X, {"mode": mode}, [("scales", f32([1, 1, 2, 1.5]))])
    for tag, sc in [("up", [1, 1, 2, 1.5]), ("down", [1, 1, 0.5, 0.6])]:
        case(f"resize10_{mode}_{tag}", "Resize", 10, X, {"mode": mode}, [("scales", f32(sc))])

# Resize 13: every coordinate_transformation_mode × mode (nearest with each nearest_mode), scales and sizes.
transforms = ["half_pixel", "asymmetric", "pytorch_half_pixel", "tf_half_pixel_for_nn", "align_corners", "tf_crop_and_resize"]
modes = [("nearest", m) for m in ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]] + [("linear", None), ("cubic", None)]
roi = f32([0, 0, 0.1, -0.2, 1, 1, 0.8, 1.1])
for t in transforms:
    for mode, nm in modes:
        attrs = {"mode": mode, "coordinate_transformation_mode": t}
        if nm:
            attrs["nearest_mode"] = nm
        tag = f"{t}_{mode}" + (f"_{nm}" if nm else "")
        r = ("roi", roi) if t == "tf_crop_and_resize" else None
        if t == "tf_crop_and_resize":
            attrs["extrapolation_value"] = 10.0
        case(f"resize13_scales_{tag}", "Resize", 13, X, attrs, [r, ("scales", f32([1, 1, 1.8, 2.5]))])
        case(f"resize13_sizes_{tag}", "Resize", 13, X, attrs, [r, None, ("sizes", i64([1, 2, 3, 4]))])
# Opset 11: roi and scales required (empty tensors when unused).
case("resize11_linear_sizes", "Resize", 11, X, {"mode": "linear"}, [("roi", empty), ("scales", empty), ("sizes", i64([1, 2, 9, 4]))])
case("resize11_nearest_scales", "Resize", 11, X, {"mode": "nearest", "coordinate_transformation_mode": "asymmetric"},
     [("roi", empty), ("scales", f32([1, 1, 3, 0.5]))])
# Cubic: coefficient and exclude_outside.
for a in [-0.5, -0.75]:
    for ex in [0, 1]:
        case(f"resize13_cubic_a{int(-a * 100)}_ex{ex}", "Resize", 13, X, {"mode": "cubic", "cubic_coeff_a": a, "exclude_outside": ex},
             [None, ("scales", f32([1, 1, 1.6, 0.75]))])
# Integer factors (the receptive-field cases): ×2 up, ×1/2 down.
for mode in ["nearest", "linear", "cubic"]:
    case(f"resize13_up2_{mode}", "Resize", 13, (1, 2, 4, 6), {"mode": mode}, [None, ("scales", f32([1, 1, 2, 2]))])
    case(f"resize13_down2_{mode}", "Resize", 13, (1, 2, 8, 8), {"mode": mode}, [None, ("scales", f32([1, 1, 0.5, 0.5]))])
# Opset 18: axes, keep_aspect_ratio_policy (antialias: the last cases, below).
case("resize18_axes_scales", "Resize", 18, X, {"mode": "linear", "axes": [2, 3]}, [None, ("scales", f32([1.5, 0.8]))])
case("resize18_axes_negative_sizes", "Resize", 18, X, {"mode": "nearest", "axes": [-1, -2]}, [None, None, ("sizes", i64([3, 8]))])
for pol in ["not_larger", "not_smaller", "stretch"]:
    case(f"resize18_keep_{pol}", "Resize", 18, X, {"mode": "linear", "axes": [2, 3], "keep_aspect_ratio_policy": pol},
         [None, None, ("sizes", i64([9, 9]))])
case("resize18_crop_axes", "Resize", 18, X, {"mode": "linear", "axes": [2, 3], "coordinate_transformation_mode": "tf_crop_and_resize"},
     [("roi", f32([0.2, -0.1, 0.9, 0.7])), None, ("sizes", i64([4, 6]))])
# Opset 19: half_pixel_symmetric.
for mode in ["nearest", "linear", "cubic"]:
    case(f"resize19_symmetric_{mode}", "Resize", 19, X, {"mode": mode, "coordinate_transformation_mode": "half_pixel_symmetric"},
         [None, ("scales", f32([1, 1, 1.7, 0.7]))])

# ConvTranspose: groups, strides, dilations, pads, output_padding, output_shape, auto_pad, bias.
def convt(name, cin, cout, k, attrs, group=1, bias=True, x_hw=(4, 5)):
    w = rng.standard_normal((cin, cout // group, *k)).astype(np.float32)
    inits = [("w", w)] + ([("b", rng.standard_normal(cout).astype(np.float32))] if bias else [])
    case(f"convt_{name}", "ConvTranspose", 17, (1, cin, *x_hw), dict(attrs, group=group), inits)

convt("plain", 2, 3, (3, 3), {})
convt("nobias", 2, 3, (3, 2), {}, bias=False)
convt("stride2", 2, 3, (3, 3), {"strides": [2, 2]})
convt("stride2_pads", 2, 2, (4, 4), {"strides": [2, 2], "pads": [1, 1, 1, 1]})
convt("stride_asym_pads", 3, 2, (3, 2), {"strides": [3, 2], "pads": [0, 1, 2, 0]})
convt("dilation", 2, 2, (3, 3), {"dilations": [2, 3]})
convt("dilation_stride_pads", 2, 4, (3, 3), {"dilations": [2, 1], "strides": [2, 3], "pads": [1, 2, 0, 1]})
convt("groups", 4, 6, (3, 3), {"strides": [2, 1]}, group=2)
convt("depthwise", 3, 3, (3, 3), {"strides": [2, 2], "pads": [1, 1, 1, 1]}, group=3)
convt("output_padding", 2, 3, (3, 3), {"strides": [2, 3], "output_padding": [1, 2]})
convt("output_shape", 2, 3, (3, 3), {"strides": [2, 2], "output_shape": [10, 12]})
convt("output_shape_odd", 2, 3, (4, 3), {"strides": [2, 2], "output_shape": [8, 9]})
convt("output_shape_upper", 2, 3, (4, 3), {"strides": [2, 2], "output_shape": [8, 9], "auto_pad": "SAME_UPPER"})
for ap in ["SAME_UPPER", "SAME_LOWER", "VALID"]:
    convt(f"auto_{ap.lower()}", 2, 3, (4, 3), {"strides": [2, 2], "auto_pad": ap})
convt("stride1_pads", 2, 3, (3, 3), {"pads": [1, 2, 1, 0]})

# LpPool: p, kernel, strides, pads, auto_pad; dilations and ceil_mode from opset 18.
def lp(name, opset, attrs, shape=(1, 2, 6, 7)):
    case(f"lppool_{name}", "LpPool", opset, shape, attrs)

lp("p2", 11, {"kernel_shape": [2, 2]})
lp("p1_stride", 11, {"kernel_shape": [3, 2], "p": 1, "strides": [2, 1]})
lp("p3_pads", 11, {"kernel_shape": [3, 3], "p": 3, "pads": [1, 0, 1, 2], "strides": [2, 2]})
lp("same_upper", 11, {"kernel_shape": [3, 3], "auto_pad": "SAME_UPPER", "strides": [2, 2]})
lp("same_lower", 11, {"kernel_shape": [2, 3], "auto_pad": "SAME_LOWER"})
lp("dilations", 18, {"kernel_shape": [2, 2], "dilations": [2, 3]})
lp("ceil_mode", 18, {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1})
lp("p2_opset7", 7, {"kernel_shape": [3, 3], "p": 2, "pads": [1, 1, 1, 1]})

# Opset 18's antialias, last so that the cases above keep their seeded inputs: shrinking and mixed
# scales, sizes, exclude_outside, align_corners and asymmetric; one on a crop of samples/chelsea.png
# (a real photo's three planes, 0…1) shrunk by about 4.
from PIL import Image
photo = np.asarray(Image.open("samples/chelsea.png").convert("RGB"), dtype=np.float32)[40:101, 100:183] / 255
for mode in ["linear", "cubic"]:
    case(f"resize18_antialias_{mode}_down", "Resize", 18, (1, 2, 9, 11), {"mode": mode, "antialias": 1}, [None, ("scales", f32([1, 1, 0.5, 0.4]))])
    case(f"resize18_antialias_{mode}_sizes", "Resize", 18, (1, 2, 9, 11), {"mode": mode, "antialias": 1}, [None, None, ("sizes", i64([1, 2, 4, 8]))])
    case(f"resize18_antialias_{mode}_mixed_exclude", "Resize", 18, (1, 2, 13, 29),
         {"mode": mode, "antialias": 1, "exclude_outside": 1}, [None, ("scales", f32([1, 1, 1.7, 0.31]))])
    for transform in ["align_corners", "asymmetric", "pytorch_half_pixel"]:
        case(f"resize18_antialias_{mode}_{transform}", "Resize", 18, (1, 2, 17, 23),
             {"mode": mode, "antialias": 1, "coordinate_transformation_mode": transform}, [None, None, ("sizes", i64([1, 2, 5, 9]))])
    case(f"resize18_antialias_{mode}_photo", "Resize", 18, (1, 3, 61, 83), {"mode": mode, "antialias": 1},
         [None, ("scales", f32([1, 1, 0.23, 0.26]))], image=np.ascontiguousarray(photo.transpose(2, 0, 1)[None]))

save_file(tensors, f"{out}/reference.safetensors")
with open(f"{out}/cases.txt", "w") as fh:
    fh.write("\n".join(names) + "\n")
print(len(names), "cases")
