"""The benchmark proper; run through Tests/bench/run, which prepares the environment."""
import gzip
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
WORK = os.environ["BENCH_WORK"]
FM = os.environ["BENCH_FEATMAP"]
SHARED = os.environ.get("BENCH_SHARED", "../shared")
ONLY = os.environ.get("BENCH_ONLY", "all")
HERE = os.path.dirname(os.path.abspath(__file__))


def have(cmd):
    return shutil.which(cmd) is not None


def measure(argv, runs=RUNS, env=None):
    """Median wall seconds and peak RSS (MiB) of a command, via GNU time."""
    walls, mems = [], []
    for _ in range(runs):
        with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
            r = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", t.name] + argv,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
            if r.returncode != 0:
                raise RuntimeError(f"{' '.join(argv)} failed: {r.stderr.decode()[-400:]}")
            wall, kb = open(t.name).read().split()[-2:]
            walls.append(float(wall)); mems.append(int(kb) / 1024)
    return statistics.median(walls), max(mems)


def measure_pair(a, b, runs=RUNS):
    """Both commands, alternating a, b, a, b…, so that a burst of load on the shared machine falls
    on both sides of a ratio rather than on one."""
    results = [([], []), ([], [])]
    for _ in range(runs):
        for argv, (walls, mems) in ((a, results[0]), (b, results[1])):
            w, m = measure(argv, runs=1)
            walls.append(w); mems.append(m)
    return tuple((statistics.median(walls), max(mems)) for walls, mems in results)


def prepare_big():
    path = os.path.join(WORK, "big.jpg")
    if not os.path.exists(path):
        from PIL import Image
        im = Image.open("samples/chelsea.png").convert("RGB").resize((6000, 4000), Image.LANCZOS)
        im.save(path, quality=90)
    return path


rows = []


def row(work, featmap, peer_name, peer):
    (fw, fm), (pw, pm) = featmap, peer
    rows.append((work, fw, fm, peer_name, pw, pm, fw / pw if pw > 0 else float("nan")))
    print(f"  {work}: featmap {fw:.2f} s {fm:.0f} MiB | {peer_name} {pw:.2f} s {pm:.0f} MiB | ratio {fw / pw:.2f}", flush=True)


def bench_apply():
    big = prepare_big()
    out = os.path.join(WORK, "out")
    os.makedirs(out, exist_ok=True)
    png, jpg = os.path.join(out, "o.png"), os.path.join(out, "o.jpg")
    fm = {name: [FM, "apply", spec, big, "-o", dest] for name, spec, dest in [
        ("sobel_png", "sobel", png), ("sobel_jpg", "sobel", jpg), ("ident_png", "identity", png),
        ("ident_jpg", "identity", jpg), ("gauss_png", "gaussian:10", png), ("gauss_jpg", "gaussian:10", jpg)]}
    if have("vips"):
        # vips writes JPEG at Q 75 unless told; featmap's default is 92, so vips gets the same.
        for work, key, name, peer in [
                ("Sobel magnitude 6000×4000 → PNG", "sobel_png", "vips sobel", ["vips", "sobel", big, png]),
                ("Sobel magnitude → JPEG", "sobel_jpg", "vips sobel", ["vips", "sobel", big, jpg + "[Q=92]"]),
                ("decode + PNG encode (identity)", "ident_png", "vips copy", ["vips", "copy", big, png]),
                ("Gaussian σ 10 → PNG", "gauss_png", "vips gaussblur 10", ["vips", "gaussblur", big, png, "10"]),
                ("Gaussian σ 10 → JPEG", "gauss_jpg", "vips gaussblur 10", ["vips", "gaussblur", big, jpg + "[Q=92]", "10"])]:
            ours, theirs = measure_pair(fm[key], peer)
            row(work, ours, name, theirs)
    sobel_png = measure(fm["sobel_png"])
    try:
        import cv2  # noqa: F401
        ours, theirs = measure_pair(fm["sobel_png"], [sys.executable, os.path.join(HERE, "opencv_sobel.py"), big, png])
        row("Sobel magnitude → PNG", ours, "OpenCV (Python)", theirs)
    except ImportError:
        print("  OpenCV not installed; skipped")
    if have("convert"):
        row("Sobel magnitude → PNG", sobel_png, "ImageMagick",
            measure(["convert", big, "-define", "morphology:compose=Lighten", "-morphology", "Convolve", "Sobel:>", png], runs=1))
    sobel_png, ident_png = measure_pair(fm["sobel_png"], fm["ident_png"])
    sobel_jpg, ident_jpg = measure_pair(fm["sobel_jpg"], fm["ident_jpg"])
    row("identity vs Sobel → PNG (filter cost)", sobel_png, "featmap identity", ident_png)
    # JPEG encoding costs the same for both pictures; PNG's deflate works harder on an edge map.
    row("identity vs Sobel → JPEG (filter cost)", sobel_jpg, "featmap identity", ident_jpg)


def bench_cnn():
    model = os.path.join(SHARED, "models/squeezenet/squeezenet1.1-fp16.onnx")
    if not os.path.exists(model):
        print(f"  {model} not found; pass --shared DIR; CNN benchmark skipped")
        return
    for size in (1024, 2048):
        r = subprocess.run([sys.executable, os.path.join(HERE, "cnn_forward.py"), model, str(size), FM, WORK],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(f"  SqueezeNet {size}²: {r.stderr.strip()[-400:]}")
            continue
        f_ms, o_ms, f_cold, o_cold, kept_ms, kept_cold = map(float, r.stdout.split())
        rows.append((f"SqueezeNet → fire3, {size}² inference (warm)", f_ms / 1000, float("nan"), "onnxruntime 2 threads",
                     o_ms / 1000, float("nan"), f_ms / o_ms))
        rows.append((f"SqueezeNet → fire3, {size}² inference (first pass)", f_cold / 1000, float("nan"),
                     "onnxruntime 2 threads", o_cold / 1000, float("nan"), f_cold / o_cold))
        rows.append((f"  same, every layer kept for the table (warm)", kept_ms / 1000, float("nan"),
                     "onnxruntime 2 threads", o_ms / 1000, float("nan"), kept_ms / o_ms))
        print(f"  SqueezeNet {size}²: featmap {f_ms:.0f} ms | onnxruntime {o_ms:.0f} ms | ratio {f_ms / o_ms:.2f}; "
              f"first pass {f_cold:.0f} | {o_cold:.0f} ms | ratio {f_cold / o_cold:.2f}; "
              f"every layer kept {kept_ms:.0f} ms (first pass {kept_cold:.0f})", flush=True)


def bench_predict():
    images = os.path.join(SHARED, "data/mnist/t10k-images-idx3-ubyte.gz")
    weights = "samples/lenet.weights"
    if not os.path.exists(images) or not os.path.exists(weights):
        print("  MNIST or samples/lenet.weights missing; predict benchmark skipped")
        return
    folder = os.path.join(WORK, "mnist")
    if not os.path.exists(os.path.join(folder, "09999.png")):
        from PIL import Image
        os.makedirs(folder, exist_ok=True)
        data = gzip.open(images).read()
        n, h, w = struct.unpack(">III", data[4:16])
        for i in range(n):
            Image.frombytes("L", (w, h), data[16 + i * h * w:16 + (i + 1) * h * w]).save(os.path.join(folder, f"{i:05d}.png"))
    files = os.path.join(WORK, "mnist.txt")
    with open(files, "w") as f:
        f.write("\n".join(os.path.join(folder, f"{i:05d}.png") for i in range(10000)) + "\n")
    model = os.path.join(SHARED, "models/lenet5/lenet5-mnist.onnx")
    ours, peer = measure_pair([FM, "predict", weights, "--files-from", files],
                              [sys.executable, os.path.join(HERE, "python_predict.py"), model, files])
    row("LeNet-5 predict, 10,000 MNIST PNGs", ours, "OpenCV + onnxruntime", peer)


def main():
    print(f"featmap benchmark, median of {RUNS} runs, {os.cpu_count()} cores")
    startup = measure([FM, "--version"], runs=max(RUNS, 5))
    print(f"  featmap --version: {startup[0] * 1000:.0f} ms, {startup[1]:.0f} MiB")
    if ONLY in ("all", "apply"):
        bench_apply()
    if ONLY in ("all", "cnn"):
        bench_cnn()
    if ONLY in ("all", "predict"):
        bench_predict()
    print()
    print("| work | featmap | peer | peer time | ratio | featmap MiB | peer MiB |")
    print("|---|---|---|---|---|---|---|")
    for work, fw, fm, name, pw, pm, ratio in rows:
        fmem = "—" if fm != fm else f"{fm:.0f}"
        pmem = "—" if pm != pm else f"{pm:.0f}"
        print(f"| {work} | {fw:.3f} s | {name} | {pw:.3f} s | {ratio:.2f}× | {fmem} | {pmem} |")


main()
