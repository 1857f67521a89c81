"""Validation metrics, following the VinDr-SpineXR protocol.

Classification: AUROC with a 95% CI (10,000 bootstrap samples, seeded, percentile), and
sensitivity / specificity / F1 at the Youden-J operating point.
Detection: AP@0.5 per finding with COCO 101-point interpolation (greedy matching by score, a
detection is a true positive when its best-IoU unmatched same-class ground truth has IoU ≥ 0.5),
at most 100 detections per image, and mAP as the mean over the 7 findings.
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

BOOTSTRAP_SAMPLES = 10_000
BOOTSTRAP_SEED = 2021


def auroc_with_ci(y: np.ndarray, p: np.ndarray, samples: int = BOOTSTRAP_SAMPLES, seed: int = BOOTSTRAP_SEED):
    """AUROC and its percentile 95% CI from `samples` bootstrap resamples of the images."""
    y = np.asarray(y).astype(int)
    p = np.asarray(p, dtype=np.float64)
    auc = float(roc_auc_score(y, p))
    rng = np.random.default_rng(seed)
    n = len(y)
    stats = []
    for _ in range(samples):
        idx = rng.integers(0, n, n)
        yy = y[idx]
        if yy.min() == yy.max():
            continue
        stats.append(roc_auc_score(yy, p[idx]))
    lo, hi = np.percentile(stats, [2.5, 97.5])
    return auc, float(lo), float(hi), len(stats)


def youden_operating_point(y: np.ndarray, p: np.ndarray) -> dict:
    """The threshold on P(abnormal) maximising sensitivity + specificity - 1, and the
    sensitivity / specificity / F1 of `p >= threshold`."""
    y = np.asarray(y).astype(int)
    p = np.asarray(p, dtype=np.float64)
    fpr, tpr, thr = roc_curve(y, p)
    finite = np.isfinite(thr) & (thr <= 1.0)
    j = np.where(finite, tpr - fpr, -np.inf)
    k = int(np.argmax(j))
    t = float(np.clip(thr[k], 0.0, 1.0))
    pred = p >= t
    tp = int(np.sum(pred & (y == 1)))
    fp = int(np.sum(pred & (y == 0)))
    fn = int(np.sum(~pred & (y == 1)))
    tn = int(np.sum(~pred & (y == 0)))
    sens = tp / max(tp + fn, 1)
    spec = tn / max(tn + fp, 1)
    prec = tp / max(tp + fp, 1)
    f1 = 2 * prec * sens / max(prec + sens, 1e-12)
    return {'operatingPoint': t, 'sensitivity': sens, 'specificity': spec, 'f1': f1, 'youdenJ': sens + spec - 1,
            'tp': tp, 'fp': fp, 'fn': fn, 'tn': tn}


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix [len(a), len(b)] of xyxy boxes."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    ix0 = np.maximum(a[:, None, 0], b[None, :, 0])
    iy0 = np.maximum(a[:, None, 1], b[None, :, 1])
    ix1 = np.minimum(a[:, None, 2], b[None, :, 2])
    iy1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def average_precision(dets: list, gts: list, num_classes: int, iou_thr: float = 0.5, max_dets: int = 100) -> list:
    """AP@iou_thr per class, COCO 101-point interpolation.

    dets[i] = (boxes [K, 4], scores [K], labels [K]) and gts[i] = (boxes [M, 4], labels [M]) for
    image i, in the same coordinates. A class without ground truth gets NaN.
    """
    aps = []
    for c in range(num_classes):
        entries = []  # (score, image, box)
        npos = 0
        gt_c = []
        for i, (gb, gl) in enumerate(gts):
            g = np.asarray(gb, np.float64).reshape(-1, 4)[np.asarray(gl) == c]
            gt_c.append(g)
            npos += len(g)
        for i, (db, ds, dl) in enumerate(dets):
            ds = np.asarray(ds)
            order = np.argsort(-ds, kind='stable')[:max_dets]
            for k in order:
                if int(dl[k]) == c:
                    entries.append((float(ds[k]), i, np.asarray(db[k], np.float64)))
        if npos == 0:
            aps.append(float('nan'))
            continue
        entries.sort(key=lambda e: -e[0])
        used = [np.zeros(len(g), bool) for g in gt_c]
        tp = np.zeros(len(entries))
        for n, (_, i, box) in enumerate(entries):
            g = gt_c[i]
            if len(g) == 0:
                continue
            iou = box_iou(box[None], g)[0]
            iou[used[i]] = -1.0
            m = int(np.argmax(iou))
            if iou[m] >= iou_thr:
                used[i][m] = True
                tp[n] = 1
        ctp = np.cumsum(tp)
        cfp = np.cumsum(1 - tp)
        recall = ctp / npos
        precision = ctp / np.maximum(ctp + cfp, 1e-12)
        # precision envelope (monotone non-increasing), then sample at 101 recall points
        for k in range(len(precision) - 2, -1, -1):
            precision[k] = max(precision[k], precision[k + 1])
        rs = np.linspace(0, 1, 101)
        idx = np.searchsorted(recall, rs, side='left')
        q = np.array([precision[j] if j < len(precision) else 0.0 for j in idx])
        aps.append(float(q.mean()))
    return aps


def mean_ap(aps: list) -> float:
    v = [a for a in aps if a == a]
    return float(np.mean(v)) if v else float('nan')
