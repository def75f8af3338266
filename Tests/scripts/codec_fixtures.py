#!/usr/bin/env python3
"""Makes the codec test fixtures with references independent of featmap.

PNG files are written by pypng (pure Python, no libpng) and their expected decoded samples
come from pypng's own reader (asDirect: palette → RGB(A), tRNS → alpha), with grey of 1/2/4
bits scaled to 0…255 by the exact factors 255, 85, 17. JPEG files are written by Pillow
(and `jpegtran -arithmetic` from libjpeg-turbo-progs for the arithmetic-coded one); expected
samples are Pillow's decode (ImageOps.exif_transpose for orientations). Bad inputs are cut
or patched from good ones with valid CRCs wherever the defect is not the CRC itself.

Source pictures: crops of scikit-image sample photos (CC0), see Fixtures/codecs/README.md.
Run from the repository root:  python3 Tests/scripts/codec_fixtures.py [/path/to/shared/photos]
Needs: numpy, Pillow, pypng (pip install pypng), jpegtran (apt-get install libjpeg-turbo-progs).
"""
import io, os, struct, subprocess, sys, zlib
import numpy as np
import png  # pypng
from PIL import Image, ImageOps

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PHOTOS = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/photos"
KIT = os.path.join(ROOT, "Tests/FeatMapKitTests/Fixtures/codecs")
CLI = os.path.join(ROOT, "Tests/FeatMapCLITests/Fixtures")


def out(*parts):
    path = os.path.join(*parts)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def write_bytes(data, *parts):
    with open(out(*parts), "wb") as f:
        f.write(data)


def photo(name, box, mode):
    return Image.open(os.path.join(PHOTOS, name)).convert(mode).crop(box)


# ---------- PNG: every colour type and bit depth, plain and interlaced ----------
W, H = 37, 23  # odd sizes: partial bytes at 1/2/4 bits and uneven Adam7 passes
rgb8 = np.array(photo("chelsea.png", (200, 100, 200 + W, 100 + H), "RGB"), dtype=np.uint16)
grey8 = np.array(photo("chelsea.png", (200, 100, 200 + W, 100 + H), "L"), dtype=np.uint16)
alpha8 = np.array(photo("horse.png", (150, 120, 150 + W, 120 + H), "RGBA"))[:, :, 3].astype(np.uint16)
yy, xx = np.mgrid[0:H, 0:W]


def widen(a8, salt):
    """8-bit → 16-bit with low bytes that matter, so that 16-bit precision is visible."""
    return a8 * 256 + (xx[..., None] * 37 + yy[..., None] * 91 + salt) % 256 if a8.ndim == 3 else \
        a8 * 256 + (xx * 37 + yy * 91 + salt) % 256


def rows_of(a):
    return a.reshape(a.shape[0], -1).tolist()


def expected_from_pypng(path):
    w, h, rows, info = png.Reader(filename=path).asDirect()
    planes, depth = info["planes"], info["bitdepth"]
    a = np.array([list(r) for r in rows], dtype=np.uint32).reshape(h, w, planes)
    if depth < 8:
        a = a * (255 // (2 ** depth - 1))
    return a.astype(np.uint16 if depth == 16 else np.uint8)


def save_png(name, array, **kw):
    path = out(KIT, "png", name + ".png")
    with open(path, "wb") as f:
        png.Writer(W, H, **kw).write(f, rows_of(array))
    np.save(out(KIT, "png", name + ".expected.npy"), expected_from_pypng(path))


def make_pngs():
    for interlace in (False, True):
        tag = "-interlaced" if interlace else ""
        for d in (1, 2, 4, 8, 16):
            g = grey8 >> (8 - d) if d < 8 else (grey8 if d == 8 else widen(grey8, 5))
            save_png(f"grey{d}{tag}", g, greyscale=True, bitdepth=d, interlace=interlace)
        for d in (8, 16):
            ga = np.dstack([grey8, alpha8]) if d == 8 else widen(np.dstack([grey8, alpha8]), 3)
            save_png(f"grey-alpha{d}{tag}", ga, greyscale=True, alpha=True, bitdepth=d, interlace=interlace)
            rgb = rgb8 if d == 8 else widen(rgb8, 11)
            save_png(f"rgb{d}{tag}", rgb, greyscale=False, bitdepth=d, interlace=interlace)
            rgba = np.dstack([rgb8, alpha8]) if d == 8 else widen(np.dstack([rgb8, alpha8]), 17)
            save_png(f"rgba{d}{tag}", rgba, greyscale=False, alpha=True, bitdepth=d, interlace=interlace)
        for d in (1, 2, 4, 8):
            q = Image.fromarray(rgb8.astype(np.uint8)).quantize(colors=2 ** d)
            palette = np.array(q.getpalette()[: 3 * 2 ** d]).reshape(-1, 3)
            entries = [tuple(int(v) for v in p) for p in palette]
            save_png(f"palette{d}{tag}", np.array(q), palette=entries, bitdepth=d, interlace=interlace)
    # tRNS: one transparent grey level / colour, and palettes with partly transparent entries.
    save_png("grey2-trns", grey8 >> 6, greyscale=True, bitdepth=2, transparent=1)
    save_png("grey8-trns", grey8, greyscale=True, bitdepth=8, transparent=int(grey8[5, 5]))
    g16 = widen(grey8, 5)
    save_png("grey16-trns", g16, greyscale=True, bitdepth=16, transparent=int(g16[3, 4]))
    save_png("rgb8-trns", rgb8, greyscale=False, bitdepth=8, transparent=tuple(int(v) for v in rgb8[7, 9]))
    r16 = widen(rgb8, 11)
    save_png("rgb16-trns", r16, greyscale=False, bitdepth=16, transparent=tuple(int(v) for v in r16[2, 2]))
    for d in (4, 8):
        q = Image.fromarray(rgb8.astype(np.uint8)).quantize(colors=2 ** d)
        palette = np.array(q.getpalette()[: 3 * 2 ** d]).reshape(-1, 3)
        entries = [tuple(int(v) for v in p) + ((i * 53) % 256,) for i, p in enumerate(palette)]
        save_png(f"palette{d}-trns", np.array(q), palette=entries, bitdepth=d)


# ---------- JPEG variants (Pillow) ----------
JW, JH = 48, 32


def save_jpeg(name, img, expected_mode, **kw):
    path = out(KIT, "jpeg", name + ".jpg")
    img.save(path, "JPEG", **kw)
    return path


def expected_from_pillow(path, mode):
    im = ImageOps.exif_transpose(Image.open(path))
    a = np.array(im.convert(mode))
    return a.reshape(a.shape[0], a.shape[1], -1).astype(np.uint8)


def make_jpegs():
    base = photo("coffee.png", (260, 120, 260 + JW, 120 + JH), "RGB")
    variants = {
        "baseline": (base, "RGB", dict(quality=90)),
        "baseline-444": (base, "RGB", dict(quality=95, subsampling=0)),
        "progressive": (base, "RGB", dict(quality=85, progressive=True)),
        "grey": (base.convert("L"), "L", dict(quality=90)),
        "cmyk": (base.convert("CMYK"), "RGB", dict(quality=92)),
    }
    for name, (img, mode, kw) in variants.items():
        path = save_jpeg(name, img, mode, **kw)
        np.save(out(KIT, "jpeg", name + ".expected.npy"), expected_from_pillow(path, mode))
    # YCCK: Pillow cannot write it, so a small libjpeg program does (inverted CMYK in, as Photoshop).
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        tool = os.path.join(tmp, "make_ycck_jpeg")
        subprocess.run(["cc", os.path.join(os.path.dirname(__file__), "make_ycck_jpeg.c"), "-ljpeg", "-o", tool], check=True)
        raw = os.path.join(tmp, "in.cmyk")
        inverted = 255 - np.array(base.convert("CMYK"), dtype=np.uint8)
        inverted.tofile(raw)
        ycck = out(KIT, "jpeg", "ycck.jpg")
        subprocess.run([tool, str(JW), str(JH), raw, ycck], check=True)
        assert Image.open(ycck).mode == "CMYK"
        np.save(out(KIT, "jpeg", "ycck.expected.npy"), expected_from_pillow(ycck, "RGB"))
    arith = out(KIT, "jpeg", "arithmetic.jpg")
    subprocess.run(["jpegtran", "-arithmetic", "-outfile", arith, os.path.join(KIT, "jpeg", "baseline.jpg")], check=True)
    np.save(out(KIT, "jpeg", "arithmetic.expected.npy"), expected_from_pillow(arith, "RGB"))

    # EXIF orientation o: store the image so that turning it by o gives `upright` back.
    upright = photo("chelsea.png", (180, 60, 180 + JW, 60 + JH), "RGB")
    store = {1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
             4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90,
             7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270}
    up_path = out(KIT, "orientation", "upright.jpg")
    upright.save(up_path, quality=95, subsampling=0)
    for o, t in store.items():
        stored = upright if t is None else upright.transpose(t)
        exif = Image.Exif()
        exif[0x0112] = o
        path = out(KIT, "orientation", f"orientation-{o}.jpg")
        stored.save(path, quality=95, subsampling=0, exif=exif.tobytes())
        e = expected_from_pillow(path, "RGB")
        assert e.shape == (JH, JW, 3), (o, e.shape)
        assert np.abs(e.astype(int) - np.array(upright).astype(int)).mean() < 3, o
        np.save(out(KIT, "orientation", f"orientation-{o}.expected.npy"), e)
    # A big-endian ("MM") EXIF block, written by hand: orientation 6 as a SHORT in IFD0.
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    buf = io.BytesIO()
    stored.save(buf, "JPEG", quality=95, subsampling=0)
    jpeg = buf.getvalue()
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 2)
    tiff += struct.pack(">HHI", 0x010F, 2, 4) + b"Cam\x00"          # Make (ASCII, inline)
    tiff += struct.pack(">HHIH", 0x0112, 3, 1, 6) + b"\x00\x00"     # Orientation = 6
    tiff += struct.pack(">I", 0)
    app1 = b"Exif\x00\x00" + tiff
    jpeg = jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:]
    path = out(KIT, "orientation", "orientation-6-motorola.jpg")
    write_bytes(jpeg, path)
    e = expected_from_pillow(path, "RGB")
    assert e.shape == (JH, JW, 3)
    np.save(out(KIT, "orientation", "orientation-6-motorola.expected.npy"), e)


# ---------- good files for the CLI tests ----------
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def chunks(data):
    """(offset, type, payload) of every chunk of a PNG."""
    p, result = 8, []
    while p < len(data):
        n = struct.unpack(">I", data[p:p + 4])[0]
        result.append((p, data[p + 4:p + 8], data[p + 8:p + 8 + n]))
        p += 12 + n
    return result


SIG = b"\x89PNG\r\n\x1a\n"


def make_ok():
    photo_rgb = photo("chelsea.png", (190, 50, 254, 98), "RGB")
    photo_rgb.save(out(CLI, "ok", "photo.png"))
    photo_rgb.save(out(CLI, "ok", "photo.jpg"), quality=90)
    g = np.array(photo("camera.png", (200, 100, 264, 148), "L"), dtype=np.uint32)
    g16 = (g * 256 + (np.arange(64)[None, :] * 7 + np.arange(48)[:, None] * 13) % 256).astype(np.uint16)
    with open(out(CLI, "ok", "gray16.png"), "wb") as f:
        png.Writer(64, 48, greyscale=True, bitdepth=16).write(f, g16.tolist())
    photo("horse.png", (150, 120, 214, 168), "RGBA").save(out(CLI, "ok", "rgba.png"))


def make_bad():
    good_png = open(os.path.join(CLI, "ok", "photo.png"), "rb").read()
    good_jpg = open(os.path.join(CLI, "ok", "photo.jpg"), "rb").read()
    parts = chunks(good_png)
    ihdr = [c for c in parts if c[1] == b"IHDR"][0]
    idat = [c for c in parts if c[1] == b"IDAT"][0]
    bad = {}
    bad["not-an-image.txt"] = b"This is a text file, not an image.\n"
    bad["empty.png"] = b""
    bad["truncated.png"] = good_png[: idat[0] + 8 + len(idat[2]) // 2]          # ends inside IDAT
    flipped = bytearray(good_png)
    flipped[idat[0] + 8 + len(idat[2]) // 3] ^= 0x10                            # IDAT data changed, CRC not
    bad["bad-crc.png"] = bytes(flipped)
    bad["no-idat.png"] = SIG + chunk(b"IHDR", ihdr[2]) + chunk(b"IEND", b"")
    huge = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    bad["huge-header.png"] = SIG + chunk(b"IHDR", huge) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    bad["truncated.jpg"] = good_jpg[: len(good_jpg) * 6 // 10]
    # Stuffed FF 00 pairs decode as runs of 1 bits; an all-ones 16-bit code is invalid in
    # every Huffman table libjpeg builds, so the decoder meets a bad code.
    sos = good_jpg.index(b"\xff\xda")
    scan = sos + 2 + struct.unpack(">H", good_jpg[sos + 2:sos + 4])[0]
    mid = scan + (len(good_jpg) - 2 - scan) // 3
    bad["bad-huffman.jpg"] = good_jpg[:mid] + b"\xff\x00" * 24 + good_jpg[mid + 48:]
    sof = good_jpg.index(b"\xff\xc0")
    patched = bytearray(good_jpg)
    patched[sof + 5:sof + 9] = struct.pack(">HH", 65000, 65000)                 # height, width
    bad["huge-header.jpg"] = bytes(patched)
    for name, data in bad.items():
        write_bytes(data, CLI, "bad", name)
        write_bytes(data, KIT, "bad", name)
    # Library-only cases.
    write_bytes(SIG + b"".join(chunk(t, d) for _, t, d in parts if t in (b"IDAT", b"IEND")), KIT, "bad", "no-ihdr.png")
    write_bytes(SIG + b"".join(chunk(t, d) for _, t, d in parts if t != b"IEND"), KIT, "bad", "no-iend.png")
    # Damaged zlib stream with a correct CRC: libpng itself fails (inflate error) mid-image.
    raw = bytearray(zlib.decompress(b"".join(d for _, t, d in parts if t == b"IDAT")))
    comp = bytearray(zlib.compress(bytes(raw)))
    comp[len(comp) // 2] ^= 0xFF
    comp[len(comp) // 2 + 1] ^= 0xA5
    write_bytes(SIG + chunk(b"IHDR", ihdr[2]) + chunk(b"IDAT", bytes(comp)) + chunk(b"IEND", b""), KIT, "bad", "bad-zlib.png")
    # Valid stream holding only half of the rows: "not enough image data" after the first rows.
    half = zlib.compress(bytes(raw[: len(raw) // 2]))
    write_bytes(SIG + chunk(b"IHDR", ihdr[2]) + chunk(b"IDAT", half) + chunk(b"IEND", b""), KIT, "bad", "short-idat.png")
    write_bytes(b"GIF89a" + b"\x00" * 20, KIT, "bad", "image.gif")
    write_bytes(SIG[:5], KIT, "bad", "signature-only.png")


# ---------- NPY files written by numpy.save ----------
def make_npy():
    d = out(KIT, "npy", "x")
    d = os.path.dirname(d)
    np.save(os.path.join(d, "f4-2x3.npy"), ((np.arange(6) - 2) * 0.25).astype(np.float32).reshape(2, 3))
    np.save(os.path.join(d, "f4-3x2x4.npy"), (np.arange(24) / 8 - 1).astype(np.float32).reshape(3, 2, 4))
    np.save(os.path.join(d, "f4-5.npy"), (np.arange(5) * 1.5).astype(np.float32))
    np.save(os.path.join(d, "f4-1234567x0.npy"), np.zeros((1234567, 0), dtype=np.float32))
    np.save(os.path.join(d, "f8-2x2.npy"), np.array([[1 / 3, 2 / 3], [1e-3, -7.25]], dtype=np.float64))
    np.save(os.path.join(d, "u1-2x3.npy"), np.array([[0, 1, 2], [253, 254, 255]], dtype=np.uint8))
    np.save(os.path.join(d, "fortran.npy"), np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
    np.save(os.path.join(d, "big-endian.npy"), np.arange(6, dtype=">f4").reshape(2, 3))
    np.save(os.path.join(d, "i4.npy"), np.arange(6, dtype=np.int32))
    # An RGB image as [H, W, 3] float32, for decoding NPY as an image.
    np.save(os.path.join(d, "image-4x3x3.npy"), np.arange(36, dtype=np.float32).reshape(4, 3, 3) * 7)


if __name__ == "__main__":
    make_pngs()
    make_jpegs()
    make_ok()
    make_bad()
    make_npy()
    print("fixtures written under", KIT, "and", CLI)
