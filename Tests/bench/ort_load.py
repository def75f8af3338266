"""The peer of `featmap predict MODEL photo` for model loading: onnxruntime's session creation and one
run on a 224² input, with the time of each on stderr ("session N ms, run N ms").
Usage: ort_load.py MODEL.onnx"""
import sys
import time

import numpy as np
import onnxruntime as ort

t = time.perf_counter()
sess = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
created = time.perf_counter() - t
x = (np.random.default_rng(0).random((1, 3, 224, 224)) * 255).astype(np.float32)
t = time.perf_counter()
sess.run(None, {sess.get_inputs()[0].name: x})
print(f"session {created * 1000:.0f} ms, run {(time.perf_counter() - t) * 1000:.0f} ms", file=sys.stderr)
