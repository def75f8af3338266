#!/usr/bin/env python3
"""Makes Tests/FeatMapKitTests/Fixtures/filters: real photo crops and reference responses of
classic filters computed with OpenCV (cv2.filter2D, cv2.Sobel, cv2.Scharr, cv2.GaussianBlur,
cv2.Laplacian, cv2.boxFilter) and NumPy/SciPy where OpenCV has no equivalent (wrap border for
filter2D, stride, dilation, explicit asymmetric padding, true convolution).

Usage: python3 Tests/scripts/filter_fixtures.py /work/shared/photos
Writes NPY files (float32 responses as [C, H, W]; uint8/uint16 inputs as H×W or H×W×C) and
manifest.json, one entry per case, which FilterFixtureTests runs.
"""
import json
import math
import os
import sys

import cv2
import numpy as np
from scipy import signal

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "FeatMapKitTests", "Fixtures", "filters")
PHOTOS = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/photos"

BORDERS = {
    "zero": cv2.BORDER_CONSTANT,
    "replicate": cv2.BORDER_REPLICATE,
    "reflect": cv2.BORDER_REFLECT,
    "reflect101": cv2.BORDER_REFLECT_101,
}
NP_PAD = {"zero": "constant", "replicate": "edge", "reflect": "symmetric", "reflect101": "reflect", "wrap": "wrap"}

cases = []


def save(name, array):
    np.save(os.path.join(OUT, name), array)
    return name


def chw(a):
    a = np.asarray(a, dtype=np.float32)
    return a[None] if a.ndim == 2 else a.transpose(2, 0, 1).copy()


def add(case_id, input_name, spec, expected, **options):
    entry = {"id": case_id, "input": input_name, "spec": spec, "expected": save(case_id + ".npy", expected)}
    entry.update(options)
    cases.append(entry)


def inline(k):
    k = np.asarray(k, dtype=np.float32)
    return f"{k.shape[0]}x{k.shape[1]}: " + " ".join(repr(float(v)) for v in k.ravel())


def gauss1d(sigma, n):
    # independent of featmap: OpenCV's own kernel
    return cv2.getGaussianKernel(n, sigma, ktype=cv2.CV_64F).ravel()


def log_kernel(sigma, n):
    # MATLAB fspecial('log', n, sigma)
    c = (n - 1) / 2
    y, x = np.mgrid[0:n, 0:n] - c
    r2 = x * x + y * y
    g = np.exp(-r2 / (2 * sigma * sigma))
    g /= g.sum()
    h = g * (r2 - 2 * sigma * sigma) / sigma ** 4
    return (h - h.mean()).astype(np.float32)


def correlate_np(img2d, k, pad, border, stride=(1, 1), dilation=(1, 1)):
    """Cross-correlation with explicit padding (top, bottom, left, right) by NumPy padding, a dilated
    kernel (zeros inserted) and scipy.signal.correlate2d 'valid', then stride by slicing."""
    k = np.asarray(k, dtype=np.float64)
    dy, dx = dilation
    kd = np.zeros(((k.shape[0] - 1) * dy + 1, (k.shape[1] - 1) * dx + 1))
    kd[::dy, ::dx] = k
    t, b, l, r = pad
    p = np.pad(img2d.astype(np.float64), ((t, b), (l, r)), mode=NP_PAD[border])
    full = signal.correlate2d(p, kd, mode="valid")
    return full[:: stride[0], :: stride[1]].astype(np.float32)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".npy") or f == "manifest.json":
            os.remove(os.path.join(OUT, f))

    chelsea = cv2.cvtColor(cv2.imread(os.path.join(PHOTOS, "chelsea.png")), cv2.COLOR_BGR2RGB)[90:130, 160:216].copy()
    camera = cv2.imread(os.path.join(PHOTOS, "camera.png"), cv2.IMREAD_GRAYSCALE)[120:184, 220:284].copy()
    save("chelsea.npy", chelsea)  # 40×56×3 uint8
    save("camera.npy", camera)  # 64×64 uint8
    # 16-bit: camera·256 plus a fixed low byte, so values use the whole 0...65535 range.
    yy, xx = np.mgrid[0:64, 0:64]
    camera16 = (camera.astype(np.uint32) * 256 + (yy * 31 + xx * 17) % 256).astype(np.uint16)
    save("camera16.npy", camera16)

    cf = chelsea.astype(np.float32)
    gf = camera.astype(np.float32)
    R = cv2.BORDER_REPLICATE

    def f2d(img, k, border=R, anchor=(-1, -1)):
        return cv2.filter2D(img, cv2.CV_32F, np.asarray(k, np.float32), anchor=anchor, borderType=border)

    sobel = lambda img, dx, dy, b=R: cv2.Sobel(img, cv2.CV_32F, dx, dy, ksize=3, borderType=b)
    scharr = lambda img, dx, dy: cv2.Scharr(img, cv2.CV_32F, dx, dy, borderType=R)
    prewitt_x = np.array([[-1, 0, 1]] * 3, np.float32)
    g = lambda s, n: np.outer(gauss1d(s, n), gauss1d(s, n))

    # Every built-in on the RGB crop, default options (same padding, replicate border).
    builtin = {
        "identity": cf,
        "box:5": cv2.boxFilter(cf, cv2.CV_32F, (5, 5), normalize=True, borderType=R),
        "gaussian:1.5": cv2.GaussianBlur(cf, (11, 11), 1.5, sigmaY=1.5, borderType=R),
        "gaussian:2:7": cv2.GaussianBlur(cf, (7, 7), 2, sigmaY=2, borderType=R),
        "sharpen": f2d(cf, [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
        "unsharp:1.5:1": 2.5 * cf - 1.5 * cv2.GaussianBlur(cf, (7, 7), 1, sigmaY=1, borderType=R),
        "sobel-x": sobel(cf, 1, 0),
        "sobel-y": sobel(cf, 0, 1),
        "sobel": cv2.magnitude(sobel(cf, 1, 0), sobel(cf, 0, 1)),
        "scharr-x": scharr(cf, 1, 0),
        "scharr-y": scharr(cf, 0, 1),
        "scharr": cv2.magnitude(scharr(cf, 1, 0), scharr(cf, 0, 1)),
        "prewitt-x": f2d(cf, prewitt_x),
        "prewitt-y": f2d(cf, prewitt_x.T),
        "prewitt": cv2.magnitude(f2d(cf, prewitt_x), f2d(cf, prewitt_x.T)),
        "laplacian": cv2.Laplacian(cf, cv2.CV_32F, ksize=1, borderType=R),
        "laplacian8": f2d(cf, [[1, 1, 1], [1, -8, 1], [1, 1, 1]]),
        "log:1.4": f2d(cf, log_kernel(1.4, 2 * math.ceil(3 * 1.4) + 1)),
        "emboss": f2d(cf, [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]),
        "edge": f2d(cf, [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]),
        "vertical-line": f2d(cf, [[-1, 2, -1]] * 3),
    }
    for spec, ref in builtin.items():
        add("builtin-" + spec.replace(":", "_"), "chelsea.npy", spec, chw(ref))

    # Every border mode with an asymmetric 5×5 kernel on the grey crop.
    asym = np.array([[1, 0, 2, -1, 0], [0, 3, -2, 0, 1], [2, -1, 4, 1, -3], [0, 1, 0, -2, 2], [-1, 0, 1, 0, 1]],
                    np.float32) / 8
    for border in ["zero", "replicate", "reflect", "reflect101", "wrap"]:
        if border == "wrap":  # filter2D has no BORDER_WRAP
            ref = correlate_np(gf, asym, (2, 2, 2, 2), "wrap")
        else:
            ref = f2d(gf, asym, BORDERS[border])
        add("border-" + border, "camera.npy", inline(asym), chw(ref), border=border)

    # Correlation vs true convolution on an asymmetric kernel (SciPy's convolve2d flips it).
    k3 = np.array([[1, 2, 0], [-1, 0, 3], [0, -2, 1]], np.float32)
    add("correlate-asym3", "camera.npy", inline(k3), chw(f2d(gf, k3)))
    padded = np.pad(gf.astype(np.float64), 1, mode="edge")
    add("convolve-asym3", "camera.npy", inline(k3), chw(signal.convolve2d(padded, k3, mode="valid")), convolve=True)
    # An even 4×4 kernel: default anchor (2,2), so 'same' pads 2 before and 1 after (filter2D's rule).
    k4 = np.arange(16, dtype=np.float32).reshape(4, 4) - 7.5
    add("even4-same", "camera.npy", inline(k4), chw(f2d(gf, k4)))
    # True convolution with it, as OpenCV's documentation prescribes: flip the kernel and move the anchor
    # to (cols − 1 − 2, rows − 1 − 2) = (1, 1).
    add("even4-convolve", "camera.npy", inline(k4), chw(f2d(gf, cv2.flip(k4, -1), anchor=(1, 1))), convolve=True)
    # A kernel file with anchor 0,2 (row 0, column 2): OpenCV's anchor is (x, y) = (2, 0).
    add("anchor-file", "camera.npy", "kernels/anchor.txt", chw(f2d(gf, k3, anchor=(2, 0))))

    # Stride, dilation, valid and asymmetric padding: NumPy padding + correlate2d + slicing.
    sharpen = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], np.float32)
    sx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32)
    g5 = g(1.0, 5)
    add("valid-sharpen", "camera.npy", "sharpen", chw(correlate_np(gf, sharpen, (0, 0, 0, 0), "replicate")),
        padding="valid")
    add("stride2-gauss5", "camera.npy", "gaussian:1:5",
        chw(correlate_np(gf, g5, (2, 2, 2, 2), "replicate", stride=(2, 2))), stride=[2, 2])
    add("stride3x2-gauss5-valid", "camera.npy", "gaussian:1:5",
        chw(correlate_np(gf, g5, (0, 0, 0, 0), "replicate", stride=(3, 2))), stride=[3, 2], padding="valid")
    add("dilation2-sobelx-reflect101", "camera.npy", "sobel-x",
        chw(correlate_np(gf, sx, (2, 2, 2, 2), "reflect101", dilation=(2, 2))), dilation=[2, 2], border="reflect101")
    add("explicit-pad-stride-dilation", "camera.npy", inline(k3),
        chw(correlate_np(gf, k3, (1, 2, 0, 3), "zero", stride=(2, 1), dilation=(1, 2))),
        padding="1,2,0,3", stride=[2, 1], dilation=[1, 2], border="zero")
    add("uniform-pad3-gauss5-wrap", "camera.npy", "gaussian:1:5", chw(correlate_np(gf, g5, (3, 3, 3, 3), "wrap")),
        padding="3", border="wrap")
    add("rgb-stride2-dilation3-sobel-y", "chelsea.npy", "sobel-y",
        np.stack([correlate_np(cf[..., c], sx.T, (3, 3, 3, 3), "reflect", stride=(2, 2), dilation=(3, 3))
                  for c in range(3)]), stride=[2, 2], dilation=[3, 3], border="reflect")

    # A 61-tap Gaussian (σ = 10, default size) larger than the 64×64 crop, against cv2.GaussianBlur.
    add("gaussian-sigma10", "camera.npy", "gaussian:10", chw(cv2.GaussianBlur(gf, (61, 61), 10, sigmaY=10,
                                                                          borderType=R)))
    # Luma first: Rec. 601 in float, then the Sobel magnitude.
    luma = (0.299 * cf[..., 0] + 0.587 * cf[..., 1] + 0.114 * cf[..., 2]).astype(np.float32)
    add("gray-sobel", "chelsea.npy", "sobel", chw(cv2.magnitude(sobel(luma, 1, 0), sobel(luma, 0, 1))), gray=True)
    # 16-bit input, native units.
    c16 = camera16.astype(np.float32)
    add("u16-sobel-x", "camera16.npy", "sobel-x", chw(sobel(c16, 1, 0)))
    add("u16-gaussian", "camera16.npy", "gaussian:1.5", chw(cv2.GaussianBlur(c16, (11, 11), 1.5, borderType=R)))

    # Mapped 8-bit (and 16-bit) output against OpenCV's own saturated results.
    k_sharp = sharpen
    add("map8-sharpen-clamp", "chelsea.npy", "sharpen",
        chw(cv2.filter2D(chelsea, -1, k_sharp, borderType=R)).astype(np.uint8), mode="clamp", depth=8)
    add("map8-sobelx-abs", "chelsea.npy", "sobel-x",
        chw(cv2.convertScaleAbs(cv2.Sobel(chelsea, cv2.CV_16S, 1, 0, borderType=R))).astype(np.uint8),
        mode="abs", depth=8)
    add("map8-sobely-offset", "camera.npy", "sobel-y",
        chw(cv2.Sobel(camera, cv2.CV_8U, 0, 1, delta=128, borderType=R)).astype(np.uint8), mode="offset", depth=8)
    add("map8-gaussian-clamp", "chelsea.npy", "gaussian:1.5",
        chw(cv2.GaussianBlur(chelsea, (11, 11), 1.5, borderType=R)).astype(np.uint8), mode="clamp", depth=8)
    lap = cv2.Laplacian(gf, cv2.CV_32F, ksize=1, borderType=R)
    add("map8-laplacian-normalize", "camera.npy", "laplacian",
        chw(cv2.normalize(lap, None, 0, 255, cv2.NORM_MINMAX, dtype=cv2.CV_8U)).astype(np.uint8),
        mode="normalize", depth=8)
    add("map8-sobelx-abs-scale", "camera.npy", "sobel-x",
        # featmap's abs mode is scale·|r| + bias (cv2.convertScaleAbs would take |scale·r + bias|), so NumPy:
        # np.rint rounds half to even like saturate_cast.
        chw(np.clip(np.rint(0.25 * np.abs(sobel(gf, 1, 0)) + 10), 0, 255)).astype(np.uint8),
        mode="abs", depth=8, scale=0.25, bias=10)
    add("map16-sharpen-clamp", "camera16.npy", "sharpen",
        chw(cv2.filter2D(camera16, -1, k_sharp, borderType=R)).astype(np.uint16), mode="clamp", depth=16)

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(cases, f, indent=1)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"{len(cases)} cases, {total / 1024:.0f} KiB in {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
