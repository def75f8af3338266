#!/usr/bin/env python3
"""Makes Tests/FeatMapKitTests/Fixtures/fft: large non-separable kernels (the ones featmap runs through
the FFT) on a whole real photo, samples/chelsea.png (451×300 RGB), against OpenCV's filter2D.

Usage: python3 Tests/scripts/fft_filter_fixtures.py
- `random31.npy`, `random16.npy`: float32 kernels, uniform in [-1, 1) (NumPy default_rng seeds 31, 16).
- `chelsea-random31-replicate.npy`: cv2.filter2D(rgb, CV_32F, random31, BORDER_REPLICATE).
- `chelsea-random16-reflect101.npy`: the same with random16 (anchor (8, 8), OpenCV's and featmap's
  default for an even kernel) and BORDER_REFLECT_101.
Each response is float32 [3, rows, columns] at every 7th row and column plus the last ones, as in
Fixtures/large (FFTConvolutionTests picks the same).
"""
import os

import cv2
import numpy as np

from large_filter_fixtures import ROOT, sampled  # the same photo, rows and columns as Fixtures/large

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "FeatMapKitTests", "Fixtures", "fft")


def main():
    os.makedirs(OUT, exist_ok=True)
    rgb = cv2.cvtColor(cv2.imread(os.path.join(ROOT, "samples", "chelsea.png")), cv2.COLOR_BGR2RGB).astype(np.float32)
    for size, border, name in [(31, cv2.BORDER_REPLICATE, "replicate"), (16, cv2.BORDER_REFLECT_101, "reflect101")]:
        k = (np.random.default_rng(size).random((size, size)) * 2 - 1).astype(np.float32)
        np.save(os.path.join(OUT, f"random{size}.npy"), k)
        np.save(os.path.join(OUT, f"chelsea-random{size}-{name}.npy"), sampled(cv2.filter2D(rgb, cv2.CV_32F, k, borderType=border)))


if __name__ == "__main__":
    main()
