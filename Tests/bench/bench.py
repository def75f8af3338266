"""The benchmark proper; run through Tests/bench/run, which prepares the environment."""
import gzip
import math
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
MODELS = os.environ.get("BENCH_MODELS", os.path.join(os.environ["BENCH_WORK"], "models"))
HERE = os.path.dirname(os.path.abspath(__file__))


def have(cmd):
    return shutil.which(cmd) is not None


# ImageMagick's own binary: a `convert` earlier on PATH may be a wrapper script (one is, on the
# development machines), which would time a shell and Python instead.
CONVERT = "/usr/bin/convert" if os.path.exists("/usr/bin/convert") else shutil.which("convert")


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
    if CONVERT:
        row("Sobel magnitude → PNG", sobel_png, "ImageMagick",
            measure([CONVERT, big, "-define", "morphology:compose=Lighten", "-morphology", "Convolve", "Sobel:>", png], runs=1))
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
    bench_whole_cnns()


def whole_cnn_models():
    """The folder of 224² torchvision models (export_models.py), made here when torch is at hand."""
    if not os.path.exists(os.path.join(MODELS, "resnet18.onnx")):
        try:
            import torch  # noqa: F401
        except ImportError:
            print(f"  no models in {MODELS} and no torch to export them (python3 Tests/bench/export_models.py {MODELS}); "
                  "whole-CNN rows skipped")
            return None
        subprocess.run([sys.executable, os.path.join(HERE, "export_models.py"), MODELS], check=True,
                       stdout=subprocess.DEVNULL)
    return MODELS


def bench_whole_cnns():
    models = whole_cnn_models()
    if models is None:
        return
    r = subprocess.run([sys.executable, os.path.join(HERE, "whole_cnn.py"), FM, models, WORK],
                       capture_output=True, text=True)
    inference, kept = [], []
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) != 4:
            print(f"  {line}")
            continue
        arch, f_ms, k_ms, o_ms = parts[0], float(parts[1]), float(parts[2]), float(parts[3])
        inference.append(f_ms / o_ms); kept.append(k_ms / o_ms)
        rows.append((f"{arch} 224² inference (warm)", f_ms / 1000, float("nan"), "onnxruntime 2 threads",
                     o_ms / 1000, float("nan"), f_ms / o_ms))
        rows.append(("  same, every layer kept (warm)", k_ms / 1000, float("nan"), "onnxruntime 2 threads",
                     o_ms / 1000, float("nan"), k_ms / o_ms))
        print(f"  {arch}: featmap {f_ms:.1f} ms (every layer kept {k_ms:.1f}) | onnxruntime {o_ms:.1f} ms | "
              f"ratio {f_ms / o_ms:.2f} ({k_ms / o_ms:.2f})", flush=True)
    if r.returncode != 0:
        print(f"  whole_cnn.py: {r.stderr.strip()[-400:]}")
    if inference:
        g = lambda xs: math.exp(sum(map(math.log, xs)) / len(xs))
        rows.append((f"geometric mean over {len(inference)} CNNs, inference", float("nan"), float("nan"), "onnxruntime",
                     float("nan"), float("nan"), g(inference)))
        rows.append(("  same, every layer kept", float("nan"), float("nan"), "onnxruntime", float("nan"), float("nan"), g(kept)))


def bench_layers_job():
    """The whole `layers` job against a keract-style script (the shared peer): every intermediate tensor
    of SqueezeNet to fire3 on the 224² cat, one figure per 4-D layer."""
    peer = os.path.join(SHARED, "peers/keract_style.py")
    squeezenet = os.path.join(SHARED, "models/squeezenet/squeezenet1.1-fp16.onnx")
    if not os.path.exists(peer) or not os.path.exists(squeezenet):
        print("  peers/keract_style.py or SqueezeNet missing; pass --shared DIR; layers-job row skipped")
        return
    cut = os.path.join(WORK, "squeezenet-fire3-224.onnx")
    npy = os.path.join(WORK, "chelsea-224.npy")
    subprocess.run([sys.executable, os.path.join(HERE, "squeezenet_cut.py"), squeezenet, "224", cut], check=True)
    # The input the model takes: the photo resized to 224², RGB 0…255, [3, 224, 224] (featmap decodes
    # and resizes the PNG itself, inside its timing).
    import numpy as np
    from PIL import Image
    im = Image.open("samples/chelsea.png").convert("RGB").resize((224, 224), Image.BILINEAR)
    np.save(npy, np.asarray(im, dtype=np.float32).transpose(2, 0, 1).copy())
    out_f, out_p = os.path.join(WORK, "layers-job"), os.path.join(WORK, "keract-job")
    ours, theirs = measure_pair([FM, "layers", "samples/squeezenet-first.weights", "samples/chelsea.png", "-o", out_f],
                                [sys.executable, peer, cut, npy, out_p])
    row("layers job: SqueezeNet → fire3 on the 224² cat, every grid + overview", ours, "keract-style script", theirs)


def bench_startup():
    """Process start: `featmap --version` against ImageMagick's `convert -version`, many runs, alternating."""
    if not CONVERT:
        print("  ImageMagick missing; start-up row skipped")
        return
    import time
    n = 200
    def block(argv):
        t = time.perf_counter()
        for _ in range(n):
            subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        return (time.perf_counter() - t) / n
    ours, theirs = [], []
    for _ in range(3):
        ours.append(block([FM, "--version"])); theirs.append(block([CONVERT, "-version"]))
    fm_mem, conv_mem = measure([FM, "--version"], runs=1)[1], measure([CONVERT, "-version"], runs=1)[1]
    row("start-up: --version", (statistics.median(ours), fm_mem), "convert -version", (statistics.median(theirs), conv_mem))


def bench_model_loading():
    """Model loading, VGG-11 (531 MB of float32 weights, made by make_vgg11.py: no torch needed): the peak
    memory of `featmap predict` against onnxruntime's session creation and one run (ort_load.py), and
    the whole `featmap info` process (load, graph preparation, analysis) against onnxruntime's session
    creation alone, as ort_load.py times it inside Python. Then the same predict row for torchvision's
    VGG-19 (548 MiB) when the exported models are there."""
    import re
    vgg11 = os.path.join(WORK, "vgg11.onnx")
    if not os.path.exists(vgg11):
        subprocess.run([sys.executable, os.path.join(HERE, "make_vgg11.py"), vgg11], check=True)
    peer = [sys.executable, os.path.join(HERE, "ort_load.py"), vgg11]
    ours, theirs = measure_pair([FM, "predict", vgg11, "samples/chelsea.png"], peer)
    row("predict with VGG-11 (531 MB of weights): time and peak memory", ours, "onnxruntime session + run", theirs)
    loads, sessions = [], []
    for _ in range(RUNS):
        loads.append(measure([FM, "info", vgg11], runs=1)[0])
        r = subprocess.run(peer, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
        sessions.append(float(re.search(r"session (\d+) ms", r.stderr).group(1)) / 1000)
    row("load VGG-11: whole `featmap info` process vs session creation", (statistics.median(loads), float("nan")),
        "onnxruntime InferenceSession()", (statistics.median(sessions), float("nan")))
    models = whole_cnn_models()
    if models is None:
        return
    vgg = os.path.join(models, "vgg19.onnx")
    ours, theirs = measure_pair([FM, "predict", vgg, "samples/chelsea.png"],
                                [sys.executable, os.path.join(HERE, "ort_load.py"), vgg])
    row("predict with VGG-19 (548 MiB of weights): time and peak memory", ours, "onnxruntime session + run", theirs)


def bench_predict():
    """`featmap predict` on the 10,000 MNIST test digits as PNGs against the shared peer
    (peers/ort_predict.py: OpenCV decode + onnxruntime, one thread, batch 1). The shared LeNet-5 declares
    a batch of 10, which onnxruntime refuses for one digit at a time, so the peer runs a copy declaring a
    batch of 1 (its Reshape uses -1); featmap runs its own samples/lenet.weights (the same network)."""
    images = os.path.join(SHARED, "data/mnist/t10k-images-idx3-ubyte.gz")
    weights = "samples/lenet.weights"
    model = os.path.join(SHARED, "models/lenet5/lenet5-mnist.onnx")
    peer = os.path.join(SHARED, "peers/ort_predict.py")
    if not all(os.path.exists(p) for p in (images, weights, model, peer)):
        print("  MNIST, the LeNet-5 ONNX file, peers/ort_predict.py or samples/lenet.weights missing; predict benchmark skipped")
        return
    folder = os.path.join(WORK, "mnist")
    if not os.path.exists(os.path.join(folder, "09999.png")):
        from PIL import Image
        os.makedirs(folder, exist_ok=True)
        data = gzip.open(images).read()
        n, h, w = struct.unpack(">III", data[4:16])
        for i in range(n):
            Image.frombytes("L", (w, h), data[16 + i * h * w:16 + (i + 1) * h * w]).save(os.path.join(folder, f"{i:05d}.png"))
    pngs = [os.path.join(folder, f"{i:05d}.png") for i in range(10000)]
    # featmap reads the list from a file: given as 10,000 arguments, swift-argument-parser's parsing alone
    # takes seconds (it grows with the square of the count); the peer takes them as arguments.
    files = os.path.join(WORK, "mnist.txt")
    with open(files, "w") as f:
        f.write("\n".join(pngs) + "\n")
    single = os.path.join(WORK, "lenet5-mnist-batch1.onnx")
    if not os.path.exists(single):
        import onnx
        m = onnx.load(model)
        for v in list(m.graph.input) + list(m.graph.output):
            dims = v.type.tensor_type.shape.dim
            if dims:
                dims[0].dim_value = 1
        onnx.save(m, single)
    ours, theirs = measure_pair([FM, "predict", weights, "--files-from", files], [sys.executable, peer, single] + pngs)
    row("LeNet-5 predict, 10,000 MNIST PNGs", ours, "OpenCV + onnxruntime (ort_predict.py)", theirs)


def prepare_large():
    """A 24 MP JPEG (6000×4000) upscaled from a shared photo, and a 31×31 random kernel (positive, sum
    1, fixed seed) in featmap's kernel format."""
    path, kernel = os.path.join(WORK, "large.jpg"), os.path.join(WORK, "random31.txt")
    if not os.path.exists(path):
        from PIL import Image
        src = os.path.join(SHARED, "photos", "astronaut.png")
        if not os.path.exists(src):
            src = "samples/chelsea.png"
        Image.open(src).convert("RGB").resize((6000, 4000), Image.LANCZOS).save(path, quality=90)
    if not os.path.exists(kernel):
        import numpy as np
        k = np.random.default_rng(31).random((31, 31))
        k /= k.sum()
        with open(kernel, "w") as f:
            for r in k:
                f.write(" ".join(f"{v:.9g}" for v in r) + "\n")
    return path, kernel


def bench_large():
    """A large non-separable kernel: featmap's FFT route against OpenCV's filter2D (a DFT at this size)."""
    try:
        import cv2  # noqa: F401
    except ImportError:
        print("  OpenCV not installed; skipped")
        return
    big, kernel = prepare_large()
    out = os.path.join(WORK, "out")
    os.makedirs(out, exist_ok=True)
    jpg = os.path.join(out, "large.jpg")
    ours, theirs = measure_pair([FM, "apply", kernel, big, "-o", jpg],
                                [sys.executable, os.path.join(HERE, "opencv_filter2d.py"), kernel, big, jpg])
    row("31×31 random kernel 6000×4000 → JPEG", ours, "OpenCV filter2D", theirs)


def main():
    print(f"featmap benchmark, median of {RUNS} runs, {os.cpu_count()} cores")
    startup = measure([FM, "--version"], runs=max(RUNS, 5))
    print(f"  featmap --version: {startup[0] * 1000:.0f} ms, {startup[1]:.0f} MiB")
    if ONLY in ("all", "apply"):
        bench_apply()
    if ONLY in ("all", "large"):
        bench_large()
    if ONLY in ("all", "cnn"):
        bench_cnn()
    if ONLY in ("all", "predict"):
        bench_predict()
    if ONLY in ("all", "predict", "loading"):
        bench_model_loading()
    if ONLY in ("all", "layers"):
        bench_layers_job()
    if ONLY in ("all", "startup"):
        bench_startup()
    print()
    print("| work | featmap | peer | peer time | ratio | featmap MiB | peer MiB |")
    print("|---|---|---|---|---|---|---|")
    for work, fw, fm, name, pw, pm, ratio in rows:
        fmem = "—" if fm != fm else f"{fm:.0f}"
        pmem = "—" if pm != pm else f"{pm:.0f}"
        ftime = "—" if fw != fw else f"{fw:.3f} s"
        ptime = "—" if pw != pw else f"{pw:.3f} s"
        print(f"| {work} | {ftime} | {name} | {ptime} | {ratio:.2f}× | {fmem} | {pmem} |")


main()
