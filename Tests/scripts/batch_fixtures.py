"""References for an [N, C, H, W] .npy input (issue 14): onnxruntime runs LeNet-5
(Tests/FeatMapKitTests/Fixtures/models/lenet5-mnist.onnx, whose Reshape takes [-1, 400], so any batch
runs) on three samples in one batched session run (the declared batch of 10 opened to N for it).

Writes Tests/FeatMapCLITests/Fixtures/batch/:
  digits3.npy   float32 [3, 1, 28, 28]: samples/digit-0.png, digit-1.png, digit-2.png scaled to 0…1 and
                normalised with MNIST's mean 0.1307 and std 0.3081 (the network input itself);
  pool1.npy     float32 [3, 6, 14, 14]: onnxruntime's output of the first MaxPool (value '13');
  probs.npy     float32 [3, 10]: onnxruntime's class probabilities (the model ends in Softmax).
Run: python3 Tests/scripts/batch_fixtures.py  (onnxruntime, numpy, opencv)
"""
import os

import cv2
import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
OUT = os.path.join(HERE, "..", "FeatMapCLITests", "Fixtures", "batch")
MODEL = os.path.join(HERE, "..", "FeatMapKitTests", "Fixtures", "models", "lenet5-mnist.onnx")

os.makedirs(OUT, exist_ok=True)
x = np.stack([cv2.imread(os.path.join(ROOT, "samples", f"digit-{d}.png"), cv2.IMREAD_GRAYSCALE) for d in (0, 1, 2)])
x = ((x.astype(np.float32) / 255 - np.float32(0.1307)) / np.float32(0.3081))[:, None, :, :].astype(np.float32)
np.save(os.path.join(OUT, "digits3.npy"), x)

model = onnx.load(MODEL)
# The file fixes the batch at 10; onnxruntime checks it, featmap does not (see Graph.prepared).
model.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "N"
model.graph.output.append(onnx.helper.make_tensor_value_info("13", onnx.TensorProto.FLOAT, None))
session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
probs, pool1 = session.run(["output_0", "13"], {session.get_inputs()[0].name: x})
np.save(os.path.join(OUT, "pool1.npy"), pool1.astype(np.float32))
np.save(os.path.join(OUT, "probs.npy"), probs.astype(np.float32))
print("argmax", probs.argmax(1), "max", probs.max(1), "pool1", pool1.shape)
