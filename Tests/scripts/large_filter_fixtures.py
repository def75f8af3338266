#!/usr/bin/env python3
"""Makes Tests/FeatMapKitTests/Fixtures/large: long separable filters (the ones featmap runs as matrix
products with banded Toeplitz matrices, 19 taps and more) on a whole real photo, samples/chelsea.png
(451×300 RGB), against OpenCV and SciPy.

Usage: python3 Tests/scripts/large_filter_fixtures.py
Each case is float32 [3, rows, columns], the response at every 7th row and column plus the last ones
(`sampled` below); ToeplitzPassesTests picks the same rows and columns from featmap's response.
"""
import os

import cv2
import numpy as np
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
OUT = os.path.join(HERE, "..", "FeatMapKitTests", "Fixtures", "large")


def sampled(a):
    """a: H×W×3 → [3, rows, cols] at 0, 7, 14, … and the last row and column."""
    def picks(n):
        p = list(range(0, n, 7))
        return p if p[-1] == n - 1 else p + [n - 1]
    h, w = a.shape[:2]
    return np.ascontiguousarray(a[np.ix_(picks(h), picks(w))].transpose(2, 0, 1).astype(np.float32))


def main():
    os.makedirs(OUT, exist_ok=True)
    rgb = cv2.cvtColor(cv2.imread(os.path.join(ROOT, "samples", "chelsea.png")), cv2.COLOR_BGR2RGB).astype(np.float32)

    # featmap's default: σ 10 → 61 taps (OpenCV's own size rule for 8-bit), replicate border.
    np.save(os.path.join(OUT, "chelsea-gaussian10-replicate.npy"),
            sampled(cv2.GaussianBlur(rgb, (61, 61), 10, sigmaY=10, borderType=cv2.BORDER_REPLICATE)))
    np.save(os.path.join(OUT, "chelsea-gaussian5-reflect101.npy"),
            sampled(cv2.GaussianBlur(rgb, (31, 31), 5, sigmaY=5, borderType=cv2.BORDER_REFLECT_101)))

    # σ 3 (19 taps) dilated by 2 (reach 37) with zero padding of 18 all round, by SciPy: pad, correlate
    # each axis with OpenCV's 1-D kernel spread over every other tap, keep the valid part.
    g = cv2.getGaussianKernel(19, 3, ktype=cv2.CV_64F).ravel()
    spread = np.zeros(37)
    spread[::2] = g
    p = np.pad(rgb.astype(np.float64), ((18, 18), (18, 18), (0, 0)))
    out = ndimage.correlate1d(ndimage.correlate1d(p, spread, axis=0, mode="constant"), spread, axis=1, mode="constant")
    np.save(os.path.join(OUT, "chelsea-gaussian3-dilation2-zero.npy"), sampled(out[18:-18, 18:-18]))
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
