"""Whole CNNs at 224², batch 1: featmap's forward pass against onnxruntime's (2 intra-op threads), in
the same way as cnn_forward.py: featmap's own `layers --timing --repeat N --json` figures (`inference_ms`,
the pass that keeps only the output; `forward_ms`, the pass that keeps every layer for `layers`' table)
against the median of onnxruntime's `InferenceSession.run` after a first run; process start and file
writing are counted on neither side. Blocks of the two alternate, three of each; the median block counts.

    python3 Tests/bench/whole_cnn.py FEATMAP MODELS_DIR WORK [ARCH ...]

MODELS_DIR holds ARCH.onnx as Tests/bench/export_models.py writes them. Prints one line per model:
ARCH featmap_inference_ms featmap_forward_ms onnxruntime_ms
"""
import os
import statistics
import sys
import time

import numpy as np
import onnxruntime as ort
from featmap_timing import layers_ms

ARCHS = ["resnet50", "vgg19", "googlenet", "densenet121", "squeezenet1_1", "mobilenet_v2", "efficientnet_b0", "resnet18"]
featmap, models, work = sys.argv[1], sys.argv[2], sys.argv[3]
archs = sys.argv[4:] or ARCHS
RUNS = 5
os.makedirs(work, exist_ok=True)
x = (np.random.default_rng(0).random((1, 3, 224, 224)) * 255).astype(np.float32)
npy = os.path.join(work, "input-224.npy")
np.save(npy, x[0])
opts = ort.SessionOptions()
opts.intra_op_num_threads = 2


def featmap_ms(model):
    return layers_ms(featmap, model, npy, os.path.join(work, "whole-cnn-out"), RUNS + 1)


for arch in archs:
    model = os.path.join(models, f"{arch}.onnx")
    if not os.path.exists(model):
        print(f"{arch} missing", flush=True)
        continue
    sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name

    def timed():
        t = time.perf_counter()
        sess.run(None, {name: x})
        return (time.perf_counter() - t) * 1000

    fm, ortm = [], []
    try:
        for _ in range(3):
            fm.append(featmap_ms(model))
            timed()
            ortm.append(statistics.median(timed() for _ in range(RUNS)))
    except RuntimeError as e:
        print(f"{arch} failed: {e}", flush=True)
        continue
    med = statistics.median
    print(arch, f"{med(f[0] for f in fm):.1f}", f"{med(f[1] for f in fm):.1f}", f"{med(ortm):.1f}", flush=True)
