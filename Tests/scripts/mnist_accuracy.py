#!/usr/bin/env python3
"""Measures `featmap predict` accuracy on the 10,000 MNIST test digits.

Writes each test image as an 8-bit grey PNG (white ink on black, as in the IDX file) into a
scratch folder, runs ONE `featmap predict MODEL --files-from LIST` over all of them, and compares
the predicted classes with the labels. Not a unit test: it needs ../shared/data/mnist.

Usage: python3 Tests/scripts/mnist_accuracy.py [featmap] [model] [shared] [scratch]
  defaults: .build/release/featmap samples/lenet.weights ../shared /tmp/featmap-mnist
"""
import gzip, os, subprocess, sys, time
import numpy as np
from PIL import Image

featmap = sys.argv[1] if len(sys.argv) > 1 else ".build/release/featmap"
model = sys.argv[2] if len(sys.argv) > 2 else "samples/lenet.weights"
shared = sys.argv[3] if len(sys.argv) > 3 else "../shared"
scratch = sys.argv[4] if len(sys.argv) > 4 else "/tmp/featmap-mnist"

images = np.frombuffer(gzip.open(f"{shared}/data/mnist/t10k-images-idx3-ubyte.gz").read()[16:], np.uint8).reshape(-1, 28, 28)
labels = np.frombuffer(gzip.open(f"{shared}/data/mnist/t10k-labels-idx1-ubyte.gz").read()[8:], np.uint8)
os.makedirs(scratch, exist_ok=True)
paths = []
for i, img in enumerate(images):
    p = os.path.join(scratch, f"{i:05d}.png")
    if not os.path.exists(p):
        Image.fromarray(img, "L").save(p)
    paths.append(p)
listing = os.path.join(scratch, "list.txt")
open(listing, "w").write("\n".join(paths) + "\n")

start = time.perf_counter()
r = subprocess.run([featmap, "predict", model, "--files-from", listing], capture_output=True, text=True)
seconds = time.perf_counter() - start
if r.returncode != 0:
    sys.exit(f"featmap predict failed ({r.returncode}): {r.stderr.strip()[:500]}")
predicted = {}
for line in r.stdout.splitlines():
    path, cls, prob = line.split("\t")
    predicted[path] = int(cls)
correct = sum(predicted.get(p, -1) == int(l) for p, l in zip(paths, labels))
print(f"{correct}/{len(paths)} correct = {100 * correct / len(paths):.2f}% in {seconds:.1f} s "
      f"({1000 * seconds / len(paths):.2f} ms per digit, one process)")
sys.exit(0 if correct >= 0.99 * len(paths) else 1)
