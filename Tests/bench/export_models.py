"""Whole CNNs for the benchmark's inference rows: torchvision's architectures (BSD-3-Clause, the PyTorch
vision project) at 224×224, batch 1, random weights (speed needs no training), exported by the TorchScript
exporter at opset 17 in eval mode (which folds each BatchNorm that follows a Conv into it, as onnxruntime
would). Only for making the files: the benchmark itself needs no torch.

    python3 Tests/bench/export_models.py OUTDIR [ARCH ...]

ARCH: resnet50 vgg19 googlenet densenet121 squeezenet1_1 mobilenet_v2 efficientnet_b0 resnet18 (default all).
"""
import os
import sys
import warnings

import torch
from torchvision import models as tvm

ARCHS = ["resnet50", "vgg19", "googlenet", "densenet121", "squeezenet1_1", "mobilenet_v2", "efficientnet_b0", "resnet18"]


def build(arch):
    torch.manual_seed(0)
    if arch == "googlenet":
        return tvm.googlenet(weights=None, aux_logits=False, transform_input=False, init_weights=True)
    return getattr(tvm, arch)(weights=None)


def main():
    out = sys.argv[1]
    archs = sys.argv[2:] or ARCHS
    os.makedirs(out, exist_ok=True)
    warnings.filterwarnings("ignore")
    for arch in archs:
        model = build(arch).eval()
        x = torch.rand(1, 3, 224, 224) * 255
        path = os.path.join(out, f"{arch}.onnx")
        torch.onnx.export(model, x, path, opset_version=17, dynamo=False, input_names=["input"], output_names=["logits"])
        print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
