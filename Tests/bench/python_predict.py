"""The Python peer of `featmap predict`: OpenCV decode + onnxruntime LeNet-5, one process."""
import sys
import cv2
import numpy as np
import onnx
import onnxruntime as ort

# The model declares a batch of 10; its Reshape uses -1, so a batch of one works once declared.
m = onnx.load(sys.argv[1])
for v in list(m.graph.input) + list(m.graph.output):
    v.type.tensor_type.shape.dim[0].dim_value = 1
sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
name = sess.get_inputs()[0].name
for path in open(sys.argv[2]).read().split("\n"):
    if not path:
        continue
    x = cv2.imread(path, cv2.IMREAD_GRAYSCALE).astype(np.float32)
    x = ((x / 255.0 - 0.1307) / 0.3081).reshape(1, 1, 28, 28)
    p = sess.run(None, {name: x})[0][0]
    print(f"{path}\t{int(p.argmax())}\t{float(p.max()):.4f}")
