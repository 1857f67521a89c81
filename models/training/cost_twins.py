"""Cost twins: models with the compute of the paper's, seeded random weights, for load tests.

`npm run models:twins` writes models/twins/ (git-ignored), a model repository the serving
cluster can load (`models/twins` as repository root) to see throughput and latency at the
paper's model cost instead of the small phantom-trained models':

- spine-classifier/1: torchvision DenseNet-121, 1 logit, 3 × 224 × 224 (the paper's classifier)
- spine-detector/1: torchvision ResNet-50 trunk + FPN (256 channels, P2–P5) + a CenterNet head on
  P2, 3 × 800 × 1024 input (the paper's ResNet-50-FPN at an 800-px shorter side), with the
  same outputs as spine-detector (boxes / scores / labels, K = 100, decoding in the graph)

The weights are random (seed 0): outputs are meaningless, only the cost is real.
"""
from __future__ import annotations

import json
import os
import sys
import time
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models._utils import IntermediateLayerGetter
from torchvision.ops import FeaturePyramidNetwork

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nets  # noqa: E402
import repository  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'twins')
GREY3_MEAN = [0.5, 0.5, 0.5]
GREY3_STD = [0.25, 0.25, 0.25]


class ResNet50FpnCenterNet(nn.Module):
    """ResNet-50 + FPN, heads on the stride-4 level, CenterNet decoding (same contract as
    spine-detector)."""

    STRIDE = 4

    def __init__(self, num_classes: int = 7):
        super().__init__()
        trunk = torchvision.models.resnet50(weights=None)
        self.body = IntermediateLayerGetter(trunk, {'layer1': 'p2', 'layer2': 'p3', 'layer3': 'p4', 'layer4': 'p5'})
        self.fpn = FeaturePyramidNetwork([256, 512, 1024, 2048], 256)

        def head(cout):
            return nn.Sequential(nn.Conv2d(256, 128, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(128, cout, 1))

        self.hm, self.wh, self.off = head(num_classes), head(2), head(2)

    def forward(self, image):
        p = self.fpn(OrderedDict(self.body(image)))['p2']
        return nets.decode_centernet(self.hm(p), self.wh(p), self.off(p), self.STRIDE, k=100)


class DenseNet121Logit(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torchvision.models.densenet121(weights=None, num_classes=1)

    def forward(self, image):
        return self.net(image)


def latency_ms(module: nn.Module, x: torch.Tensor, runs: int = 3) -> float:
    with torch.no_grad():
        module(x)
        t = time.time()
        for _ in range(runs):
            module(x)
    return 1000 * (time.time() - t) / runs


def main() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(int(os.environ.get('TWINS_THREADS', '2')))
    twins = [
        ('spine-classifier', 'classification', DenseNet121Logit(), (224, 224), ['logit']),
        ('spine-detector', 'detection', ResNet50FpnCenterNet(), (1024, 800), ['boxes', 'scores', 'labels']),
    ]
    report = {}
    for name, task, module, (w, h), outputs in twins:
        module.eval()
        vdir = os.path.join(OUT, name, '1')
        os.makedirs(vdir, exist_ok=True)
        cfg = repository.model_level_config(name, task, 3, (w, h), 0.5, 0.25)
        cfg['preprocessing']['mean'], cfg['preprocessing']['std'] = GREY3_MEAN, GREY3_STD
        if task == 'classification':
            cfg['thresholds']['operatingPoint'] = 0.5
        cfg['batching']['maxBatchSize'] = 4 if task == 'detection' else 8
        repository.dump_json(os.path.join(OUT, name, 'config.json'), cfg)
        x = torch.randn(1, 3, h, w)
        path = os.path.join(vdir, 'model.onnx')
        repository.export_onnx(module, x, path, outputs)
        ms = latency_ms(module, x)
        params = sum(p.numel() for p in module.parameters())
        report[name] = {'architecture': type(module).__name__, 'input': [1, 3, h, w], 'parameters': params,
                        'onnxBytes': os.path.getsize(path), 'pytorchCpuLatencyMs': round(ms, 1),
                        'threads': torch.get_num_threads()}
        repository.dump_json(os.path.join(vdir, 'metrics.json'), {
            'model': name, 'version': 1, 'costTwin': True, 'weights': 'random (seed 0), outputs meaningless',
            **report[name]})
        print(f'{name}: {type(module).__name__} {params / 1e6:.1f} M parameters, ONNX '
              f'{os.path.getsize(path) / 1e6:.1f} MB, PyTorch CPU latency {ms:.0f} ms/image '
              f'({torch.get_num_threads()} threads)', flush=True)
    repository.dump_json(os.path.join(OUT, 'twins.json'), report)


if __name__ == '__main__':
    main()
