"""The matrix products of featmap's convolution core, in OpenBLAS and in oneDNN, on one thread each.
Shapes are SqueezeNet's through fire3 at 2048² (one worker's half of the columns: M filters,
K = C·kh·kw, N output pixels) and LeNet-5's conv2. Prints milliseconds (median of 7), GFLOP/s and
oneDNN's time over OpenBLAS's. Needs libopenblas0 and libdnnl2 (apt-get install libopenblas-dev
libdnnl-dev); run: python3 Tests/bench/gemm_shapes.py"""
import ctypes
import ctypes.util
import statistics
import sys
import time

import numpy as np

try:
    blas = ctypes.CDLL("libopenblas.so.0")
    dnnl = ctypes.CDLL("libdnnl.so.2")
    gomp = ctypes.CDLL("libgomp.so.1")
except OSError as e:
    sys.exit(f"gemm_shapes: {e}; install libopenblas-dev and libdnnl-dev")
blas.openblas_set_num_threads(1)
gomp.omp_set_num_threads(1)
f32p = ctypes.POINTER(ctypes.c_float)
blas.cblas_sgemm.argtypes = [ctypes.c_int] * 6 + [ctypes.c_float, f32p, ctypes.c_int, f32p, ctypes.c_int,
                                                  ctypes.c_float, f32p, ctypes.c_int]
dnnl.dnnl_sgemm.argtypes = [ctypes.c_char, ctypes.c_char] + [ctypes.c_int64] * 3 + [
    ctypes.c_float, f32p, ctypes.c_int64, f32p, ctypes.c_int64, ctypes.c_float, f32p, ctypes.c_int64]

SHAPES = [("conv1 (3×3, stride 2)", 64, 27, 523264), ("fire2/squeeze1x1", 16, 64, 130560),
          ("fire2/expand1x1", 64, 16, 130560), ("fire2/expand3x3", 64, 144, 130560),
          ("fire3/squeeze1x1", 16, 128, 130560), ("LeNet conv2", 16, 150, 64)]


def timed(f, repeat):
    ts = []
    for _ in range(7):
        t = time.perf_counter()
        for _ in range(repeat):
            f()
        ts.append((time.perf_counter() - t) / repeat * 1000)
    return statistics.median(ts)


print(f"{'product':24s} {'M':>3s} {'K':>4s} {'N':>7s}  {'OpenBLAS ms':>11s} {'GF/s':>5s}  {'oneDNN ms':>9s} {'GF/s':>5s}  ratio")
rng = np.random.default_rng(0)
for name, m, k, n in SHAPES:
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    c1 = np.zeros((m, n), np.float32)
    c2 = np.zeros((m, n), np.float32)
    pa, pb = a.ctypes.data_as(f32p), b.ctypes.data_as(f32p)
    p1, p2 = c1.ctypes.data_as(f32p), c2.ctypes.data_as(f32p)
    repeat = max(1, 2_000_000 // (m * n))
    ob = timed(lambda: blas.cblas_sgemm(101, 111, 111, m, n, k, 1.0, pa, k, pb, n, 0.0, p1, n), repeat)
    dn = timed(lambda: dnnl.dnnl_sgemm(b"N", b"N", m, n, k, 1.0, pa, k, pb, n, 0.0, p2, n), repeat)
    assert np.allclose(c1, c2, rtol=1e-4, atol=1e-3), name
    gf = 2 * m * k * n / 1e6
    print(f"{name:24s} {m:3d} {k:4d} {n:7d}  {ob:11.2f} {gf / ob:5.1f}  {dn:9.2f} {gf / dn:5.1f}  {dn / ob:.2f}")
