"""SqueezeNet 1.1 input → fire3 (conv1, relu, pool1, fire2, fire3), forward pass only, at SIZE².
Prints featmap's and onnxruntime's median forward milliseconds, warm (after a first pass in the same
process: onnxruntime's arena and featmap's heap already hold the memory) and cold (the first pass).
featmap's figures come from its own `layers --timing`, so process start and file writing are not
counted on either side: `inference_ms`, the pass that keeps no layer (Conv and its activation in one
pass, Concat branches written in place — what onnxruntime's graph optimiser does too), is the one
compared; `forward_ms`, the pass that keeps every layer for the table, is printed beside it.
Output: featmap warm, onnxruntime warm, featmap cold, onnxruntime cold, featmap warm and cold with
every layer kept."""
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import squeezenet_cut  # noqa: E402

model_path, size, featmap, work = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
RUNS = 5

cut = os.path.join(work, f"squeezenet-fire3.onnx")
squeezenet_cut.cut(model_path, size, cut)

rng = np.random.default_rng(0)
x = rng.uniform(0, 255, size=(1, 3, size, size)).astype(np.float32)
opts = ort.SessionOptions()
opts.intra_op_num_threads = 2


def ort_session():
    return ort.InferenceSession(cut, opts, providers=["CPUExecutionProvider"])


def timed(sess):
    t = time.perf_counter()
    sess.run(None, {sess.get_inputs()[0].name: x})
    return (time.perf_counter() - t) * 1000


npy = os.path.join(work, f"input-{size}.npy")
np.save(npy, x[0])


def featmap_ms(passes):
    """(inference_ms, forward_ms) of one `layers --timing --repeat passes` run."""
    r = subprocess.run([featmap, "layers", model_path, npy, "--upto", "fire3/concat_1", "--timing", "--json",
                        "--repeat", str(passes), "-o", os.path.join(work, "layers-out"), "--no-images"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"featmap layers failed: {r.stderr.strip()}")
    out = json.loads(r.stdout)
    return float(out["inference_ms"]), float(out["forward_ms"])


# The two sides alternate block by block, so that a burst of load on the machine falls on both.
# Warm: onnxruntime's median of RUNS back-to-back runs after a first one in the same session (its arena
# and threads are ready), and featmap's own median over RUNS + 1 back-to-back passes in one process
# (the first, cold one among them). Cold: the first run of a new onnxruntime session, and one featmap
# pass per process.
sess = ort_session()
ort_warm, fm_warm, ort_cold, fm_cold = [], [], [], []
for _ in range(3):
    timed(sess)
    ort_warm.append(statistics.median(timed(sess) for _ in range(RUNS)))
    fm_warm.append(featmap_ms(RUNS + 1))
for _ in range(RUNS):
    ort_cold.append(timed(ort_session()))
    fm_cold.append(featmap_ms(1))
m = statistics.median
print(m(f[0] for f in fm_warm), m(ort_warm), m(f[0] for f in fm_cold), m(ort_cold),
      m(f[1] for f in fm_warm), m(f[1] for f in fm_cold))
