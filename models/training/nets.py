"""The two networks: a small CNN classifier (one "abnormal" logit) and a CenterNet-style
anchor-free detector whose graph ends in decoding (3×3 max-pool peaks + TopK), so the ONNX
outputs are already boxes / scores / labels.

Both are trained from scratch (no pretrained weights are downloadable here) and sized for a
2-core CPU; `width` scales every layer, which is how version 1 (smaller) and 2 (larger) differ.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(cin: int, cout: int, stride: int = 1, k: int = 3, dilation: int = 1) -> nn.Sequential:
    pad = dilation * (k // 2)
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, pad, dilation=dilation, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class ResBlock(nn.Module):
    def __init__(self, ch: int, dilation: int = 1):
        super().__init__()
        self.a = conv_bn(ch, ch, dilation=dilation)
        self.b = nn.Sequential(nn.Conv2d(ch, ch, 3, 1, dilation, dilation=dilation, bias=False), nn.BatchNorm2d(ch))

    def forward(self, x):
        return F.relu(x + self.b(self.a(x)))


class SpineClassifier(nn.Module):
    """224×224 grey (or grey ×3) image → one abnormal logit [N, 1].
    Five stride-2 stages with a residual block each, then global average + max pooling: the max
    branch keeps a small focal lesion from being averaged away."""

    def __init__(self, width: int = 16, in_channels: int = 1):
        super().__init__()
        w = width
        chans = [w, 2 * w, 4 * w, 8 * w, 8 * w]
        layers = []
        cin = in_channels
        for c in chans:
            layers += [conv_bn(cin, c, stride=2), ResBlock(c)]
            cin = c
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(2 * cin, 1)

    def forward(self, image):
        f = self.features(image)
        g = torch.cat([f.mean(dim=(2, 3)), f.amax(dim=(2, 3))], dim=1)
        return self.fc(self.dropout(g))


class SpineDetector(nn.Module):
    """CenterNet-style detector. Backbone strides 4/8/16/32, a top-down FPN merged at stride 4,
    and three heads at stride 4: class heatmap (7, sigmoid), log box size (2) and centre offset (2).

    `forward` returns the dense maps (training); `decode` turns them into K boxes per image in
    model-input pixels (ONNX export wraps both, see `DetectorExport`)."""

    STRIDE = 4

    def __init__(self, width: int = 32, num_classes: int = 7, in_channels: int = 1):
        super().__init__()
        w = width
        self.num_classes = num_classes
        self.stem = nn.Sequential(conv_bn(in_channels, w // 2, stride=2), conv_bn(w // 2, w, stride=2), ResBlock(w))
        self.s8 = nn.Sequential(conv_bn(w, 2 * w, stride=2), ResBlock(2 * w))
        self.s16 = nn.Sequential(conv_bn(2 * w, 4 * w, stride=2), ResBlock(4 * w), ResBlock(4 * w, dilation=2))
        self.s32 = nn.Sequential(conv_bn(4 * w, 4 * w, stride=2), ResBlock(4 * w, dilation=2))
        f = w
        self.lat4 = nn.Conv2d(w, f, 1)
        self.lat8 = nn.Conv2d(2 * w, f, 1)
        self.lat16 = nn.Conv2d(4 * w, f, 1)
        self.lat32 = nn.Conv2d(4 * w, f, 1)
        self.smooth = nn.Sequential(conv_bn(f, f), conv_bn(f, f))

        def head(cout):
            return nn.Sequential(conv_bn(f, f), nn.Conv2d(f, cout, 1))

        self.hm = head(num_classes)
        self.wh = head(2)
        self.off = head(2)
        nn.init.constant_(self.hm[-1].bias, -math.log((1 - 0.01) / 0.01))
        nn.init.zeros_(self.wh[-1].weight)
        nn.init.constant_(self.wh[-1].bias, math.log(8.0))  # ~32 input px boxes at start
        nn.init.zeros_(self.off[-1].weight)
        nn.init.constant_(self.off[-1].bias, 0.5)

    def forward(self, image):
        c4 = self.stem(image)
        c8 = self.s8(c4)
        c16 = self.s16(c8)
        c32 = self.s32(c16)
        p = self.lat32(c32)
        p = self.lat16(c16) + F.interpolate(p, scale_factor=2.0, mode='nearest')
        p = self.lat8(c8) + F.interpolate(p, scale_factor=2.0, mode='nearest')
        p = self.lat4(c4) + F.interpolate(p, scale_factor=2.0, mode='nearest')
        p = self.smooth(p)
        return self.hm(p), self.wh(p), self.off(p)

    def decode(self, hm_logits, wh_log, off, k: int = 100):
        return decode_centernet(hm_logits, wh_log, off, self.STRIDE, k)


def decode_centernet(hm_logits, wh_log, off, stride: int, k: int = 100):
    """Dense maps → boxes [N, K, 4] (xyxy, input pixels), scores [N, K], labels [N, K] int64.
    Peaks are local maxima of the class heatmap (3×3 max-pool), as in CenterNet; sizes are
    exp(log size) × stride, centres are (cell + offset) × stride. Exports to plain ONNX ops
    (MaxPool, TopK, GatherElements) with a dynamic batch axis."""
    heat = torch.sigmoid(hm_logits)
    peak = F.max_pool2d(heat, 3, stride=1, padding=1)
    heat = heat * (peak == heat).to(heat.dtype)
    n, c, h, w = heat.shape
    scores, idx = torch.topk(heat.flatten(1), k, dim=1)
    hw = h * w
    labels = torch.div(idx, hw, rounding_mode='floor')
    pix = idx - labels * hw
    ys = torch.div(pix, w, rounding_mode='floor')
    xs = pix - ys * w
    gidx = pix.unsqueeze(1).expand(-1, 2, -1)
    size = torch.exp(torch.clamp(torch.gather(wh_log.flatten(2), 2, gidx), max=8.0)) * stride
    offset = torch.gather(off.flatten(2), 2, gidx)
    cx = (xs.to(heat.dtype) + offset[:, 0]) * stride
    cy = (ys.to(heat.dtype) + offset[:, 1]) * stride
    in_w = float(w * stride)
    in_h = float(h * stride)
    boxes = torch.stack([
        torch.clamp(cx - size[:, 0] / 2, 0.0, in_w), torch.clamp(cy - size[:, 1] / 2, 0.0, in_h),
        torch.clamp(cx + size[:, 0] / 2, 0.0, in_w), torch.clamp(cy + size[:, 1] / 2, 0.0, in_h)], dim=2)
    return boxes, scores, labels


class DetectorExport(nn.Module):
    """The exported graph: image → (boxes, scores, labels)."""

    def __init__(self, det: SpineDetector, k: int = 100):
        super().__init__()
        self.det = det
        self.k = k

    def forward(self, image):
        return self.det.decode(*self.det(image), k=self.k)
