"""featmap's own timing of a whole model: `layers --timing --json --repeat N`, shared by whole_cnn.py and
featmap_ab.py. Returns (inference_ms, forward_ms): the fused pass that keeps only the output, and the
pass that keeps every layer for `layers`' table, each the median of featmap's passes."""
import json
import subprocess


def layers_ms(featmap, model, npy, out_dir, repeat):
    r = subprocess.run([featmap, "layers", model, npy, "--timing", "--json", "--repeat", str(repeat),
                        "-o", out_dir, "--no-images"], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip()[-300:])
    out = json.loads(r.stdout)
    return float(out["inference_ms"]), float(out["forward_ms"])
