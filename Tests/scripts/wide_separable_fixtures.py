#!/usr/bin/env python3
"""Makes Tests/FeatMapKitTests/Fixtures/wide: short, wide grey images (wider than the separable
vertical pass's 512-column strips, with odd remainders) and the responses of separable filters on
them, computed by OpenCV (cv2.GaussianBlur, cv2.Sobel, cv2.Scharr, cv2.boxFilter, cv2.filter2D) or,
where OpenCV has no equivalent (stride, dilation, wrap border, explicit asymmetric padding), by NumPy
padding + scipy.signal.correlate2d + slicing. Nothing here uses featmap.

Usage: python3 Tests/scripts/wide_separable_fixtures.py   (from the repository root)
Inputs are uint8 H×W NPY files made by a fixed formula (below) from a row band of samples/chelsea.png,
so the content is real photo texture and the script needs nothing outside the repository. Expected
responses are float32 [1, Ho, Wo]; manifest.json lists the cases that WideSeparableTests runs.
"""
import json
import os

import cv2
import numpy as np
from scipy import signal

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
OUT = os.path.join(HERE, "..", "FeatMapKitTests", "Fixtures", "wide")
NP_PAD = {"zero": "constant", "replicate": "edge", "reflect": "symmetric", "reflect101": "reflect", "wrap": "wrap"}
CV_BORDER = {"zero": cv2.BORDER_CONSTANT, "replicate": cv2.BORDER_REPLICATE, "reflect": cv2.BORDER_REFLECT,
             "reflect101": cv2.BORDER_REFLECT_101}


def wide_image(h, w, seed):
    """Row band 140… of chelsea.png (grey, 451 wide), columns read forwards then backwards so the
    tiles join without a jump, plus a small deterministic ripple so no two tiles are equal."""
    grey = cv2.imread(os.path.join(ROOT, "samples", "chelsea.png"), cv2.IMREAD_GRAYSCALE)
    period = 2 * grey.shape[1]
    y, x = np.mgrid[0:h, 0:w]
    col = (x + seed * 37) % period
    col = np.where(col < grey.shape[1], col, period - 1 - col)
    ripple = (x * 13 + y * 7 + seed) % 9
    return np.clip(grey[140 + y * 3, col].astype(np.int32) + ripple - 4, 0, 255).astype(np.uint8)


def correlate_np(img, k, pad, border, stride=(1, 1), dilation=(1, 1)):
    k = np.asarray(k, np.float64)
    dy, dx = dilation
    kd = np.zeros(((k.shape[0] - 1) * dy + 1, (k.shape[1] - 1) * dx + 1))
    kd[::dy, ::dx] = k
    t, b, l, r = pad
    p = np.pad(img.astype(np.float64), ((t, b), (l, r)), mode=NP_PAD[border])
    return signal.correlate2d(p, kd, mode="valid")[:: stride[0], :: stride[1]].astype(np.float32)


def gauss(sigma, n):
    g = cv2.getGaussianKernel(n, sigma, ktype=cv2.CV_64F).ravel()
    return np.outer(g, g)


SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float64)
SCHARR_X = np.array([[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]], np.float64)
PREWITT_X = np.array([[-1, 0, 1]] * 3, np.float64)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".npy") or f == "manifest.json":
            os.remove(os.path.join(OUT, f))
    images = {"w1537.npy": wide_image(9, 1537, 0), "w1031.npy": wide_image(11, 1031, 1), "w515.npy": wide_image(7, 515, 2)}
    for name, a in images.items():
        np.save(os.path.join(OUT, name), a)
    f = {k: v.astype(np.float32) for k, v in images.items()}
    cases = []

    def add(case_id, image, spec, expected, reference, **options):
        np.save(os.path.join(OUT, case_id + ".npy"), np.asarray(expected, np.float32)[None])
        entry = {"id": case_id, "input": image, "spec": spec, "expected": case_id + ".npy", "reference": reference}
        entry.update(options)
        cases.append(entry)

    R, Z, RF101 = cv2.BORDER_REPLICATE, cv2.BORDER_CONSTANT, cv2.BORDER_REFLECT_101
    sobel = lambda img, dx, dy, b: cv2.Sobel(img, cv2.CV_32F, dx, dy, ksize=3, borderType=b)
    # Vertical pass through the strips, symmetric factors (7 taps: mirrored pairs).
    add("gaussian7-replicate-1537", "w1537.npy", "gaussian:1.5:7",
        cv2.GaussianBlur(f["w1537.npy"], (7, 7), 1.5, sigmaY=1.5, borderType=R), "cv2.GaussianBlur")
    add("box5-zero-515", "w515.npy", "box:5",
        cv2.boxFilter(f["w515.npy"], cv2.CV_32F, (5, 5), normalize=True, borderType=Z), "cv2.boxFilter", border="zero")
    # Three-tap factors through the strips (one derivative alone).
    add("sobelx-reflect101-1031", "w1031.npy", "sobel-x", sobel(f["w1031.npy"], 1, 0, RF101), "cv2.Sobel",
        border="reflect101")
    add("sobely-replicate-515", "w515.npy", "sobel-y", sobel(f["w515.npy"], 0, 1, R), "cv2.Sobel")
    # The fused 3×3 gradient sweep (stride 1) ...
    add("sobel-magnitude-zero-1537", "w1537.npy", "sobel",
        cv2.magnitude(sobel(f["w1537.npy"], 1, 0, Z), sobel(f["w1537.npy"], 0, 1, Z)), "cv2.Sobel + cv2.magnitude",
        border="zero")
    add("scharr-magnitude-replicate-1031", "w1031.npy", "scharr",
        cv2.magnitude(cv2.Scharr(f["w1031.npy"], cv2.CV_32F, 1, 0, borderType=R),
                      cv2.Scharr(f["w1031.npy"], cv2.CV_32F, 0, 1, borderType=R)), "cv2.Scharr + cv2.magnitude")
    px = cv2.filter2D(f["w515.npy"], cv2.CV_32F, PREWITT_X.astype(np.float32), borderType=RF101)
    py = cv2.filter2D(f["w515.npy"], cv2.CV_32F, PREWITT_X.T.astype(np.float32), borderType=RF101)
    add("prewitt-magnitude-reflect101-515", "w515.npy", "prewitt", cv2.magnitude(px, py), "cv2.filter2D + cv2.magnitude",
        border="reflect101")
    # ... and the magnitude at a horizontal stride (two separate two-pass filters), dilated.
    gx = correlate_np(f["w1537.npy"], SCHARR_X, (2, 2, 2, 2), "reflect", stride=(2, 3), dilation=(2, 2))
    gy = correlate_np(f["w1537.npy"], SCHARR_X.T, (2, 2, 2, 2), "reflect", stride=(2, 3), dilation=(2, 2))
    add("scharr-magnitude-stride2x3-dilation2-reflect-1537", "w1537.npy", "scharr", np.hypot(gx, gy),
        "NumPy pad + scipy.signal.correlate2d", border="reflect", stride=[2, 3], dilation=[2, 2])
    # Asymmetric rank-1 factors, stride, dilation, explicit uneven padding, wrap.
    k23 = np.array([[1, 2, 3], [2, 4, 6]], np.float64)
    add("rank1-2x3-pad-stride-dilation-wrap-1031", "w1031.npy", "2x3: 1 2 3 2 4 6",
        correlate_np(f["w1031.npy"], k23, (1, 2, 0, 3), "wrap", stride=(1, 2), dilation=(3, 2)),
        "NumPy pad + scipy.signal.correlate2d", border="wrap", padding="1,2,0,3", stride=[1, 2], dilation=[3, 2])
    add("gaussian5-stride3-reflect-515", "w515.npy", "gaussian:1:5",
        correlate_np(f["w515.npy"], gauss(1, 5), (2, 2, 2, 2), "reflect", stride=(1, 3)),
        "NumPy pad + scipy.signal.correlate2d", border="reflect", stride=[1, 3])
    # 19 taps and more: the Toeplitz matrix products.
    add("gaussian19-replicate-1537", "w1537.npy", "gaussian:3:19",
        cv2.GaussianBlur(f["w1537.npy"], (19, 19), 3, sigmaY=3, borderType=R), "cv2.GaussianBlur")
    add("gaussian21-zero-1031", "w1031.npy", "gaussian:3.5:21",
        cv2.GaussianBlur(f["w1031.npy"], (21, 21), 3.5, sigmaY=3.5, borderType=Z), "cv2.GaussianBlur", border="zero")
    add("gaussian19-dilation1x2-reflect101-515", "w515.npy", "gaussian:3:19",
        correlate_np(f["w515.npy"], gauss(3, 19), (9, 9, 18, 18), "reflect101", dilation=(1, 2)),
        "NumPy pad + scipy.signal.correlate2d", border="reflect101", dilation=[1, 2])
    with open(os.path.join(OUT, "manifest.json"), "w") as fh:
        json.dump(cases, fh, indent=1)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"{len(cases)} cases, {total / 1024:.0f} KiB in {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
