#!/usr/bin/env python3
"""Makes Tests/FeatMapCLITests/Fixtures/stream: OpenCV references for `featmap apply` on an image tall
and wide enough for many row bands (ApplyMultiBandTests).

The input is not stored: it is Fixtures/ok/photo.png (64×48 RGB) tiled to WIDTH × HEIGHT, each tile
shifted by a per-tile constant so that rows do not repeat every 48:

    T[y, x, c] = (P[y % 48, x % 64, c] + 11·(y // 48) + 5·(x // 64)) mod 256

ApplyMultiBandTests builds the same image and writes it as PNG. For each case the responses are
computed with OpenCV in float64 (the border by OpenCV's own borderType, or np.pad for wrap, stride by
slicing) and stored as float32:

    <id>-rows.npy  [R, Wo, C]  the full output rows listed in manifest.json ("rows"): 0, 1, the last
                               two, and for every band boundary B (a multiple of bandRows below the
                               output height) rows B − 1 and B, the last of one band and the first of
                               the next
    <id>-sub.npy   [⌈Ho/13⌉, ⌈Wo/13⌉, C]  every 13th row and column, from (0, 0)

and manifest.json holds, per case, NumPy's min, mean and max (and mean |r|) of the whole float32
response, which `apply --json` must print.

bandRows is BandedFilter.bandRows(width:channels:span:) (⌈max(16, 2¹⁹ / (W·C), 2·(span − 1)) / 32⌉·32);
the test checks that featmap's value is still the one recorded here.

Usage: python3 Tests/scripts/stream_fixtures.py   (from anywhere; needs numpy, opencv-python, Pillow)
"""
import json
import math
import os

import cv2
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "FeatMapCLITests", "Fixtures")
OUT = os.path.join(FIXTURES, "stream")
WIDTH, HEIGHT = 1283, 1401
SUBSAMPLE = 13


def tiled():
    p = np.array(Image.open(os.path.join(FIXTURES, "ok", "photo.png")).convert("RGB")).astype(np.int64)
    y = np.arange(HEIGHT)[:, None]
    x = np.arange(WIDTH)[None, :]
    t = p[y % 48, x % 64, :] + (11 * (y // 48) + 5 * (x // 64))[..., None]
    return (t % 256).astype(np.uint8)


def band_rows(width, channels, span):
    rows = max(16, (1 << 19) // (width * channels), 2 * (span - 1))
    return (rows + 31) // 32 * 32


def gaussian1d(sigma):
    n = 2 * math.ceil(3 * sigma) + 1
    return cv2.getGaussianKernel(n, sigma, ktype=cv2.CV_64F).ravel()


def dilated(k, d):
    out = np.zeros((len(k) - 1) * d + 1)
    out[::d] = k
    return out


ASYM = np.array([[1, 0, 2, -1, 0], [0, 3, -2, 0, 1], [2, -1, 4, 1, -3], [0, 1, 0, -2, 2], [-1, 0, 1, 0, 1]]) / 8.0


def inline(k):
    return f"{k.shape[0]}x{k.shape[1]}: " + " ".join(repr(float(v)) for v in k.ravel())


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".npy") or f == "manifest.json":
            os.remove(os.path.join(OUT, f))
    img = tiled()
    f64 = img.astype(np.float64)
    luma = (np.float32(0.299) * img[..., 0].astype(np.float32) + np.float32(0.587) * img[..., 1].astype(np.float32)
            + np.float32(0.114) * img[..., 2].astype(np.float32))
    g2 = dilated(gaussian1d(2), 2)

    def wrap_asym_stride(a):
        # np.pad wrap (OpenCV's BORDER_WRAP), then the kernel with its anchor at (0, 0) on the padded image.
        p = np.pad(a, ((2, 2), (2, 2), (0, 0)), mode="wrap")
        r = cv2.filter2D(p, cv2.CV_64F, ASYM, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
        return r[:HEIGHT, :WIDTH][::2, ::3]

    cases = [
        # (id, featmap arguments after the input, reference, span of the kernel in rows, exact): exact
        # where every product and partial sum is representable in float32 (integer pixels times
        # integers or eighths), so any order of summation gives the same float.
        ("sobel-x-reflect101", ["sobel-x", "--border", "reflect101"],
         cv2.Sobel(f64, cv2.CV_64F, 1, 0, ksize=3, borderType=cv2.BORDER_REFLECT_101), 3, True),
        ("gaussian2-dilation2-reflect", ["gaussian:2", "--dilation", "2", "--border", "reflect"],
         cv2.sepFilter2D(f64, cv2.CV_64F, g2, g2, borderType=cv2.BORDER_REFLECT), len(g2), False),
        ("asym5-stride2x3-wrap", [inline(ASYM), "--stride", "2,3", "--border", "wrap"], wrap_asym_stride(f64), 5,
         True),
        ("laplacian-gray-zero", ["laplacian", "--gray", "--border", "zero"],
         cv2.Laplacian(luma.astype(np.float64), cv2.CV_64F, ksize=1, borderType=cv2.BORDER_CONSTANT)[..., None], 3,
         False),
    ]
    manifest = {"width": WIDTH, "height": HEIGHT, "subsample": SUBSAMPLE, "cases": []}
    for case_id, args, ref, span, exact in cases:
        ref = ref.astype(np.float32)
        if ref.ndim == 2:
            ref = ref[..., None]
        ho = ref.shape[0]
        rows_per_band = band_rows(WIDTH, 3, span)
        boundaries = list(range(rows_per_band, ho, rows_per_band))
        rows = sorted({0, 1, ho - 2, ho - 1} | {b - 1 for b in boundaries} | set(boundaries))
        np.save(os.path.join(OUT, case_id + "-rows.npy"), np.ascontiguousarray(ref[rows]))
        np.save(os.path.join(OUT, case_id + "-sub.npy"), np.ascontiguousarray(ref[::SUBSAMPLE, ::SUBSAMPLE]))
        r64 = ref.astype(np.float64)
        manifest["cases"].append({
            "id": case_id, "arguments": args, "outputHeight": ho, "outputWidth": ref.shape[1],
            "channels": ref.shape[2], "span": span, "exact": exact, "bandRows": rows_per_band, "bands": len(boundaries) + 1, "rows": rows,
            "min": float(r64.min()), "mean": float(r64.mean()), "max": float(r64.max()),
            "meanAbs": float(np.abs(r64).mean()),
        })
        print(f"{case_id}: {ho}×{ref.shape[1]}×{ref.shape[2]}, {len(boundaries) + 1} bands of {rows_per_band}")
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"{total / 1024:.0f} KiB in {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
