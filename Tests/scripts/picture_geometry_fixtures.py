#!/usr/bin/env python3
"""Geometry references for the pooling pictures, from NumPy (nothing here uses featmap).

Usage: python3 Tests/scripts/picture_geometry_fixtures.py   (from the repository root)
Writes:
  Tests/FeatMapKitTests/Fixtures/render/pool-geometry.json
      a seeded 9×13 plane of small integers (many ties, two constant windows planted) and, for max pooling
      2/2 (padding 0), 3/2 (padding 1) and 3/3 (padding 1, ceil mode): the output size, every window's
      first cell (oy·s − p, ox·s − p), the pooled value, and the winner: the flat index (y·W + x) of
      np.argmax over the window's in-image cells (the first maximum in row-major order), or null when all
      of them are equal (featmap draws no winner there).
  Tests/FeatMapCLITests/Fixtures/viz/coffee-crop-winners.json
      the same for 2×2 max pooling of each colour plane of viz/coffee-crop.png (read with Pillow).
"""
import json
import math
import os

import numpy as np
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def pool_geometry(plane, k, s, p, ceil):
    h, w = plane.shape

    def size(n):
        o = (math.ceil if ceil else math.floor)((n + 2 * p - k) / s) + 1
        return o - 1 if ceil and (o - 1) * s >= n + p else o

    oh, ow = size(h), size(w)
    starts, values, winners = [], [], []
    for oy in range(oh):
        for ox in range(ow):
            y0, x0 = oy * s - p, ox * s - p
            ys, xs = range(max(0, y0), min(h, y0 + k)), range(max(0, x0), min(w, x0 + k))
            cells = [(y, x) for y in ys for x in xs]
            window = np.array([plane[y, x] for y, x in cells])
            best = int(np.argmax(window))
            starts.append([y0, x0])
            values.append(float(window[best]))
            winners.append(None if len(cells) > 1 and (window == window[best]).all()
                           else cells[best][0] * w + cells[best][1])
    return {"kernel": k, "stride": s, "padding": p, "ceil": ceil, "outputSize": [oh, ow], "starts": starts,
            "pooled": values, "winners": winners}


def main():
    rng = np.random.default_rng(4)
    plane = rng.integers(0, 7, size=(9, 13)).astype(np.float32)
    plane[0:2, 2:4] = 3  # window (0, 1) of 2/2 is constant: no winner
    plane[4:6, 8:10] = 6
    cases = [pool_geometry(plane, k, s, p, c) for k, s, p, c in [(2, 2, 0, False), (3, 2, 1, False), (3, 3, 1, True)]]
    assert cases[0]["winners"][1] is None
    with open(os.path.join(ROOT, "Tests/FeatMapKitTests/Fixtures/render/pool-geometry.json"), "w") as f:
        json.dump({"height": 9, "width": 13, "plane": plane.reshape(-1).tolist(), "cases": cases}, f)
    crop = np.asarray(Image.open(os.path.join(ROOT, "Tests/FeatMapCLITests/Fixtures/viz/coffee-crop.png")).convert("RGB"))
    planes = [pool_geometry(crop[:, :, c].astype(np.float32), 2, 2, 0, False) for c in range(3)]
    with open(os.path.join(ROOT, "Tests/FeatMapCLITests/Fixtures/viz/coffee-crop-winners.json"), "w") as f:
        json.dump({"height": crop.shape[0], "width": crop.shape[1], "planes": planes}, f)
    print([c["outputSize"] for c in cases], sum(w is None for w in planes[0]["winners"]), "ties in red")


if __name__ == "__main__":
    main()
