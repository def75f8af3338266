"""Two featmap binaries on the whole CNNs, run alternately (A, B, A, B, …): featmap's own
`layers --timing --repeat N --json` figures (inference_ms, forward_ms), the median of the blocks for each.
For a change's before/after on a loaded machine, where onnxruntime's ratios wander (its two threads
spin-wait), the two featmaps at least share the same conditions.

    python3 Tests/bench/featmap_ab.py FEATMAP_A FEATMAP_B MODELS_DIR WORK [--blocks 3] [ARCH ...]

Prints per model: ARCH A_inference_ms B_inference_ms B/A A_forward_ms B_forward_ms B/A
"""
import os
import statistics
import sys

import numpy as np
from featmap_timing import layers_ms

ARCHS = ["resnet50", "vgg19", "googlenet", "densenet121", "squeezenet1_1", "mobilenet_v2", "efficientnet_b0", "resnet18"]
args = sys.argv[1:]
blocks = 3
if "--blocks" in args:
    i = args.index("--blocks")
    blocks = int(args[i + 1])
    del args[i:i + 2]
a, b, models, work = args[:4]
archs = args[4:] or ARCHS
os.makedirs(work, exist_ok=True)
npy = os.path.join(work, "input-224.npy")
np.save(npy, (np.random.default_rng(0).random((3, 224, 224)) * 255).astype(np.float32))


def run(featmap, model):
    return layers_ms(featmap, model, npy, os.path.join(work, "ab-out"), 6)


for arch in archs:
    model = os.path.join(models, f"{arch}.onnx")
    ra, rb = [], []
    for _ in range(blocks):
        ra.append(run(a, model))
        rb.append(run(b, model))
    med = statistics.median
    ai, bi = med(x[0] for x in ra), med(x[0] for x in rb)
    af, bf = med(x[1] for x in ra), med(x[1] for x in rb)
    print(arch, f"{ai:.1f}", f"{bi:.1f}", f"{bi / ai:.2f}", f"{af:.1f}", f"{bf:.1f}", f"{bf / af:.2f}", flush=True)
