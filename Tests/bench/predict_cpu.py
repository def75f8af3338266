"""Alternates `featmap predict` (--files-from) and the shared peer N times; prints the median wall time, CPU time (user + sys) and peak RSS of each: on a loaded machine the CPU times say more than the walls.

    python3 Tests/bench/predict_cpu.py FEATMAP samples/lenet.weights LIST.txt ../shared/peers/ort_predict.py LENET_BATCH1.onnx RUNS
"""
import subprocess, statistics, sys, tempfile
fm, weights, files, peer, model, runs = sys.argv[1:7]
pngs = open(files).read().split()
cmds = {"featmap": [fm, "predict", weights, "--files-from", files], "peer": [sys.executable, peer, model] + pngs}
res = {k: [] for k in cmds}
for _ in range(int(runs)):
    for k, argv in cmds.items():
        with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
            subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", t.name] + argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            e, u, s, m = open(t.name).read().split()[-4:]
            res[k].append((float(e), float(u) + float(s), int(m) / 1024))
for k, v in res.items():
    print(f"{k}: wall {statistics.median(x[0] for x in v):.2f} s, CPU {statistics.median(x[1] for x in v):.2f} s, peak {max(x[2] for x in v):.0f} MiB  (walls {[x[0] for x in v]})")
f, p = res["featmap"], res["peer"]
print(f"ratio wall {statistics.median(x[0] for x in f) / statistics.median(x[0] for x in p):.2f}, CPU {statistics.median(x[1] for x in f) / statistics.median(x[1] for x in p):.2f}")
