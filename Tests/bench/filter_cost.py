#!/usr/bin/env python3
"""The issue's "filter cost" rows with more samples than the main table: identity and Sobel on the
benchmark photo, run alternately N times each (identity, Sobel, identity, …), with the median wall
time and CPU time (user + system, from the kernel's accounting of the child) of each and their ratios.

    python3 Tests/bench/filter_cost.py [--pairs 30] [--format png|jpg] [--featmap PATH]

Run `bash Tests/bench/run --only apply` once first: it builds featmap in release mode and makes
Tests/bench/work/big.jpg."""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser()
parser.add_argument("--pairs", type=int, default=30)
parser.add_argument("--format", choices=["png", "jpg"], default="png")
parser.add_argument("--featmap", default=os.path.join(here, "..", "..", ".build", "release", "featmap"))
args = parser.parse_args()
photo = os.path.join(here, "work", "big.jpg")
for path, what in [(args.featmap, "featmap (swift build -c release)"), (photo, "the photo (bash Tests/bench/run --only apply)")]:
    if not os.path.exists(path):
        sys.exit(f"filter_cost.py: {path} is missing; make {what} first")

samples = {"identity": [], "sobel": []}
with tempfile.TemporaryDirectory() as out:
    for _ in range(args.pairs):
        for kernel in samples:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run([args.featmap, "apply", kernel, photo, "-o", os.path.join(out, f"{kernel}.{args.format}")],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            samples[kernel].append((wall, cpu))

median = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in samples.items()}
(iw, ic), (sw, sc) = median["identity"], median["sobel"]
print(f"→ {args.format.upper()}, {args.pairs} alternating pairs, medians")
print(f"  identity: {iw:.3f} s wall, {ic:.3f} s CPU")
print(f"  sobel:    {sw:.3f} s wall, {sc:.3f} s CPU")
print(f"  ratio sobel / identity: {sw / iw:.2f}× wall, {sc / ic:.2f}× CPU (target ≤ 1.15×)")
