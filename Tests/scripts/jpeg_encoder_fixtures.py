#!/usr/bin/env python3
"""Makes Tests/FeatMapKitTests/Fixtures/codecs/jpeg-encoded: the reference encoder's JPEG of the same
pixels featmap encodes in CodecJPEGTests (libjpeg-turbo through Pillow, its defaults: 4:2:0 for
colour, standard Huffman tables, baseline, JFIF 1:1, no EXIF), from the committed PNG fixtures'
expected samples (pypng's decode of png/*.png):

    rgb8-q95.jpg, rgb8-q20.jpg       png/rgb8.png (37×23 RGB) at quality 95 and 20
    rgba16-q100.jpg                  png/rgba16.png's colour, 16 → 8 bits as round(v / 257)
                                     (= v·255/65535 rounded), alpha dropped, quality 100
    grey-alpha8-q90.jpg              png/grey-alpha8.png's grey, alpha dropped, quality 90

OpenCV's cv2.imencode(".jpg", …, [IMWRITE_JPEG_QUALITY, q]) writes the same bytes (checked below).

Usage: python3 Tests/scripts/jpeg_encoder_fixtures.py   (needs numpy, Pillow, opencv-python)
"""
import io
import os

import cv2
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
CODECS = os.path.join(HERE, "..", "FeatMapKitTests", "Fixtures", "codecs")
OUT = os.path.join(CODECS, "jpeg-encoded")


def expected(name):
    return np.load(os.path.join(CODECS, "png", name + ".expected.npy"))


def write(name, pixels, quality):
    pixels = np.ascontiguousarray(pixels.astype(np.uint8))
    img = Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    data = buf.getvalue()
    bgr = pixels if pixels.shape[2] == 1 else pixels[..., ::-1].copy()
    ok, cv = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok and cv.tobytes() == data, f"{name}: OpenCV and Pillow disagree"
    with open(os.path.join(OUT, name + ".jpg"), "wb") as f:
        f.write(data)
    print(f"{name}.jpg: {len(data)} bytes")


def main():
    os.makedirs(OUT, exist_ok=True)
    rgb8 = expected("rgb8")
    write("rgb8-q95", rgb8, 95)
    write("rgb8-q20", rgb8, 20)
    rgba16 = expected("rgba16").astype(np.float64)
    write("rgba16-q100", np.rint(rgba16[..., :3] / 257), 100)
    write("grey-alpha8-q90", expected("grey-alpha8")[..., :1], 90)


if __name__ == "__main__":
    main()
