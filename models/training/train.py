"""Trains one version of spine-classifier or spine-detector on phantom datasets, validates it
on a held-out set, exports ONNX plus an agreement fixture, and writes the version folder of
the model repository (model.onnx, config.json override, metrics.json, MODEL_CARD.md,
fixture.json).

    /usr/bin/python3 models/training/train.py classifier --train DIR [--train DIR2] --val DIR \
        --version 1 --width 16 --channels 1 --epochs 24
    /usr/bin/python3 models/training/train.py detector --train DIR --val DIR --version 1 \
        --width 24 --size 512 --epochs 30

Runs on CUDA when available, else on CPU with `--threads` threads; seeds are fixed.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
import metrics  # noqa: E402
import nets  # noqa: E402
import repository  # noqa: E402


def setup(seed: int, threads: int) -> torch.device:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.set_num_threads(threads)
    if torch.cuda.is_available():
        torch.backends.cudnn.benchmark = False
        os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', ':4096:8')
        return torch.device('cuda')
    return torch.device('cpu')


def to_input(batch_u16: np.ndarray, mean: float, std: float, channels: int) -> torch.Tensor:
    """uint16 [B, H, W] display image → normalised float32 NCHW, exactly as serving does."""
    x = torch.from_numpy(np.ascontiguousarray(batch_u16, dtype=np.float32) / np.float32(65535.0))
    x = (x - mean) / std
    return x.unsqueeze(1).expand(-1, channels, -1, -1).contiguous()


def fixture_input(batch_u16: np.ndarray, mean: float, std: float, channels: int) -> torch.Tensor:
    """A fixture input: real validation images quantised to 8-bit display levels (as the paper's
    min-max 8-bit step would), then normalised. The float32 values are stored verbatim; the
    quantisation only lets gzip shrink the fixture file to a fraction of the raw tensor."""
    q = np.round(np.asarray(batch_u16, np.float64) / 65535.0 * 255.0) / 255.0
    return to_input(np.round(q * 65535.0).astype(np.uint16), mean, std, channels)


def log(msg: str) -> None:
    print(f'[{time.strftime("%H:%M:%S")}] {msg}', flush=True)


# ----------------------------------------------------------------------------- classifier

def train_classifier(args, device) -> dict:
    size = (224, 224)
    t0 = time.time()
    tr_recs, tr = data.load_split(args.train, [size])
    va_recs, va = data.load_split([args.val], [size])
    x_tr, x_va = tr[size], va[size]
    y_tr = np.array([r.abnormal for r in tr_recs], np.float32)
    y_va = np.array([r.abnormal for r in va_recs], np.int64)
    mean, std = dataset_stats(x_tr)
    log(f'classifier: {len(tr_recs)} train ({y_tr.mean():.2f} abnormal), {len(va_recs)} val, '
        f'mean {mean} std {std}, data {time.time() - t0:.0f}s')

    model = nets.SpineClassifier(args.width, args.channels).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * int(np.ceil(len(x_tr) / args.batch))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.15)
    rng = np.random.default_rng(args.seed)
    t_train = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = rng.permutation(len(x_tr))
        total = 0.0
        for b in range(0, len(order), args.batch):
            idx = np.sort(order[b:b + args.batch])
            xb = np.asarray(x_tr[idx], np.float32) / 65535.0
            xb = augment_intensity(xb, rng)
            flip = rng.random(len(idx)) < 0.5
            xb[flip] = xb[flip, :, ::-1]
            x = ((torch.from_numpy(np.ascontiguousarray(xb)) - mean) / std).unsqueeze(1)
            x = x.expand(-1, args.channels, -1, -1).contiguous().to(device)
            y = torch.from_numpy(y_tr[idx]).unsqueeze(1).to(device)
            loss = F.binary_cross_entropy_with_logits(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
        msg = f'classifier epoch {epoch + 1}/{args.epochs} loss {total / len(x_tr):.4f}'
        if (epoch + 1) % 4 == 0 or epoch + 1 == args.epochs:
            p = predict_classifier(model, x_va, mean, std, args.channels, device)
            msg += f' val AUROC {metrics.roc_auc_score(y_va, p):.4f}'
        log(msg)
    train_s = time.time() - t_train

    model.eval().cpu()
    p = predict_classifier(model, x_va, mean, std, args.channels, torch.device('cpu'))
    auc, lo, hi, n_boot = metrics.auroc_with_ci(y_va, p)
    op = metrics.youden_operating_point(y_va, p)
    log(f'classifier v{args.version}: AUROC {auc:.4f} (95% CI {lo:.4f}-{hi:.4f}) op {op["operatingPoint"]:.4f} '
        f'sens {op["sensitivity"]:.4f} spec {op["specificity"]:.4f} F1 {op["f1"]:.4f}')
    # fixture: one normal and one abnormal validation image
    pick = [int(np.argmax(y_va == 0)), int(np.argmax(y_va == 1))]
    fixture_x = fixture_input(np.asarray(x_va[pick]), mean, std, args.channels)
    result = {
        'model': model, 'mean': mean, 'std': std, 'fixture_x': fixture_x,
        'metrics': {
            'auroc': auc, 'aurocCi95': [lo, hi], 'bootstrapSamples': metrics.BOOTSTRAP_SAMPLES,
            'bootstrapValidSamples': n_boot, 'bootstrapSeed': metrics.BOOTSTRAP_SEED,
            'operatingPoint': op['operatingPoint'], 'sensitivity': op['sensitivity'],
            'specificity': op['specificity'], 'f1': op['f1'], 'youdenJ': op['youdenJ'],
            'confusion': {k: op[k] for k in ('tp', 'fp', 'fn', 'tn')},
            'validation': {'images': len(y_va), 'abnormal': int(y_va.sum())},
        },
        'train_s': train_s, 'train_records': tr_recs, 'val_records': va_recs,
    }
    return result


def augment_intensity(xb: np.ndarray, rng) -> np.ndarray:
    """Mild per-image gain / offset / gamma, so the model does not key on one exposure."""
    n = len(xb)
    gain = rng.uniform(0.9, 1.1, (n, 1, 1)).astype(np.float32)
    bias = rng.uniform(-0.04, 0.04, (n, 1, 1)).astype(np.float32)
    gamma = rng.uniform(0.85, 1.15, (n, 1, 1)).astype(np.float32)
    return np.clip(np.power(np.clip(xb, 0, 1), gamma) * gain + bias, 0.0, 1.0)


@torch.no_grad()
def predict_classifier(model, x_u16, mean, std, channels, device, batch: int = 64) -> np.ndarray:
    model.eval()
    out = []
    for b in range(0, len(x_u16), batch):
        x = to_input(np.asarray(x_u16[b:b + batch]), mean, std, channels).to(device)
        out.append(torch.sigmoid(model(x)).squeeze(1).cpu().numpy())
    return np.concatenate(out).astype(np.float64)


def dataset_stats(x_u16: np.ndarray) -> tuple[float, float]:
    sub = np.asarray(x_u16[::max(1, len(x_u16) // 200)], np.float64) / 65535.0
    return round(float(sub.mean()), 4), round(float(sub.std()), 4)


# ----------------------------------------------------------------------------- detector

def draw_targets(boxes: np.ndarray, labels: np.ndarray, out_h: int, out_w: int, num_classes: int, max_objs: int = 48):
    """TTFNet-style elliptical Gaussian heatmaps (sigma ∝ box size) plus size/offset targets at
    the box centre cell, all at stride 4."""
    s = nets.SpineDetector.STRIDE
    hm = np.zeros((num_classes, out_h, out_w), np.float32)
    ind = np.zeros(max_objs, np.int64)
    wh = np.zeros((max_objs, 2), np.float32)
    off = np.zeros((max_objs, 2), np.float32)
    mask = np.zeros(max_objs, np.float32)
    ys, xs = np.arange(out_h, dtype=np.float32)[:, None], np.arange(out_w, dtype=np.float32)[None, :]
    order = np.argsort(-(boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])) if len(boxes) else []
    for k, j in enumerate(order[:max_objs]):
        x0, y0, x1, y1 = boxes[j] / s
        w, h = max(x1 - x0, 0.25), max(y1 - y0, 0.25)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        ix, iy = min(int(cx), out_w - 1), min(int(cy), out_h - 1)
        sx, sy = max(0.54 * w / 6, 0.6), max(0.54 * h / 6, 0.6)
        g = np.exp(-((xs - ix) ** 2) / (2 * sx * sx) - ((ys - iy) ** 2) / (2 * sy * sy))
        c = int(labels[j])
        np.maximum(hm[c], g, out=hm[c])
        hm[c, iy, ix] = 1.0
        ind[k] = iy * out_w + ix
        wh[k] = np.log([w, h])
        off[k] = (cx - ix, cy - iy)
        mask[k] = 1.0
    return hm, ind, wh, off, mask


def focal_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss, normalised by the number of centres."""
    pred = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    pos = target.eq(1).float()
    neg = 1 - pos
    pos_loss = torch.log(pred) * (1 - pred) ** 2 * pos
    neg_loss = torch.log(1 - pred) * pred ** 2 * (1 - target) ** 4 * neg
    n = pos.sum()
    return -(pos_loss.sum() + neg_loss.sum()) / torch.clamp(n, min=1.0)


def regression_loss(pred: torch.Tensor, ind: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    b, c = pred.shape[:2]
    p = torch.gather(pred.flatten(2), 2, ind.unsqueeze(1).expand(-1, c, -1)).transpose(1, 2)
    m = mask.unsqueeze(2)
    return (torch.abs(p - target) * m).sum() / torch.clamp(m.sum() * c, min=1.0)


def repeat_factors(labels: list, num_classes: int, threshold: float) -> np.ndarray:
    """LVIS-style repeat-factor sampling: an image is drawn max_c max(1, sqrt(t / f_c)) times per
    epoch on average, f_c being the share of training images containing finding c, so rare
    findings (implants, slips) are seen more often."""
    present = np.zeros((len(labels), num_classes), bool)
    for i, lb in enumerate(labels):
        present[i, np.asarray(lb, np.int64)] = True
    freq = np.maximum(present.mean(0), 1e-6)
    r_c = np.maximum(1.0, np.sqrt(threshold / freq)) if threshold > 0 else np.ones(num_classes)
    return np.array([r_c[p].max() if p.any() else 1.0 for p in present])


def sample_crop(img: np.ndarray, boxes: np.ndarray, labels: np.ndarray, crop: int, rng):
    """A crop × crop window: most often one that contains a random finding whole, else anywhere.
    Boxes whose centre falls inside are kept with their true extent (the size target must not
    shrink because the window cut the box)."""
    h, w = img.shape
    if crop >= h and crop >= w:
        return img, boxes, labels, 0, 0
    if len(boxes) and rng.random() < 0.7:
        bx0, by0, bx1, by1 = boxes[rng.integers(len(boxes))]

        def start(lo_edge, hi_edge, size):
            lo, hi = max(0.0, hi_edge - crop), min(lo_edge, size - crop)
            if lo > hi:  # larger than the window: centre it
                return int(np.clip((lo_edge + hi_edge) / 2 - crop / 2, 0, size - crop))
            return int(rng.uniform(lo, hi))

        x0, y0 = start(bx0, bx1, w), start(by0, by1, h)
    else:
        x0, y0 = int(rng.integers(0, w - crop + 1)), int(rng.integers(0, h - crop + 1))
    if len(boxes):
        cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
        keep = (cx >= x0) & (cx < x0 + crop) & (cy >= y0) & (cy < y0 + crop)
        boxes, labels = boxes[keep] - np.array([x0, y0, x0, y0], np.float32), labels[keep]
    return img[y0:y0 + crop, x0:x0 + crop], boxes, labels, x0, y0


def train_detector(args, device) -> dict:
    size = (args.size, args.size)
    t0 = time.time()
    tr_recs, tr = data.load_split(args.train, [size])
    va_recs, va = data.load_split([args.val], [size])
    x_tr, x_va = tr[size], va[size]
    mean, std = dataset_stats(x_tr)
    tr_boxes = [data.scaled_boxes(r, *size) for r in tr_recs]
    tr_labels = [np.asarray(r.labels, np.int64) for r in tr_recs]
    va_gt = [(data.scaled_boxes(r, *size), np.asarray(r.labels, np.int64)) for r in va_recs]
    counts = np.bincount(np.concatenate(tr_labels + [np.zeros(0, np.int64)]), minlength=7)
    log(f'detector: {len(tr_recs)} train, {len(va_recs)} val, boxes per finding {counts.tolist()}, '
        f'mean {mean} std {std}, data {time.time() - t0:.0f}s')

    model = nets.SpineDetector(args.width, len(data.FINDINGS), args.channels).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    rng = np.random.default_rng(args.seed)
    repeat = repeat_factors(tr_labels, len(data.FINDINGS), args.repeat_threshold)
    orders = []  # drawn up front so the one-cycle schedule knows the exact step count
    for _ in range(args.epochs):
        reps = np.floor(repeat + rng.random(len(repeat))).astype(int)  # stochastic rounding
        orders.append(rng.permutation(np.repeat(np.arange(len(x_tr)), reps)))
    steps = sum(int(np.ceil(len(o) / args.batch)) for o in orders)
    log(f'repeat-factor sampling (t={args.repeat_threshold}): {repeat.sum():.0f} draws per epoch for {len(repeat)} images')
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    crop = min(args.crop, args.size)
    oh = ow = crop // nets.SpineDetector.STRIDE
    t_train = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = orders[epoch]
        per_epoch = int(np.ceil(len(order) / args.batch))
        tot = np.zeros(3)
        for b in range(0, len(order), args.batch):
            idx = order[b:b + args.batch]
            imgs, targets = [], []
            for i in idx:
                img, bx, lb, _, _ = sample_crop(x_tr[i], tr_boxes[i], tr_labels[i], crop, rng)
                img = np.asarray(img, np.float32) / 65535.0
                if rng.random() < 0.5:
                    img = img[:, ::-1]
                    if len(bx):
                        bx = bx.copy()
                        bx[:, [0, 2]] = crop - bx[:, [2, 0]]
                imgs.append(img)
                targets.append(draw_targets(bx, lb, oh, ow, len(data.FINDINGS)))
            xb = augment_intensity(np.stack(imgs), rng)
            x = ((torch.from_numpy(np.ascontiguousarray(xb)) - mean) / std).unsqueeze(1)
            x = x.expand(-1, args.channels, -1, -1).contiguous().to(device)
            hm_t, ind, wh_t, off_t, mask = (torch.from_numpy(np.stack(t)).to(device) for t in zip(*targets))
            hm, wh, off = model(x)
            l_hm = focal_loss(hm, hm_t)
            l_wh = regression_loss(wh, ind, wh_t, mask)
            l_off = regression_loss(off, ind, off_t, mask)
            loss = l_hm + l_wh + l_off
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            opt.step()
            sched.step()
            tot += [float(l_hm), float(l_wh), float(l_off)]
        tot /= per_epoch
        msg = f'detector epoch {epoch + 1}/{args.epochs} loss hm {tot[0]:.3f} wh {tot[1]:.3f} off {tot[2]:.3f}'
        if args.eval_every and ((epoch + 1) % args.eval_every == 0) and epoch + 1 < args.epochs:
            aps = evaluate_detector(model, x_va, va_gt, mean, std, args, device)
            msg += f' val mAP {metrics.mean_ap(aps):.4f} ' + ' '.join(f'{a:.2f}' for a in aps)
        log(msg)
    train_s = time.time() - t_train

    model.eval().cpu()
    aps = evaluate_detector(model, x_va, va_gt, mean, std, args, torch.device('cpu'))
    m_ap = metrics.mean_ap(aps)
    log(f'detector v{args.version}: mAP@0.5 {m_ap:.4f} ' +
        ', '.join(f'{n} {a:.4f}' for n, a in zip(data.FINDINGS, aps)))
    n_gt = np.bincount(np.concatenate([g[1] for g in va_gt] + [np.zeros(0, np.int64)]), minlength=7)
    # fixture: the validation image with the most findings
    pick = int(np.argmax([len(g[1]) for g in va_gt]))
    fixture_x = fixture_input(np.asarray(x_va[pick:pick + 1]), mean, std, args.channels)
    return {
        'model': model, 'mean': mean, 'std': std, 'fixture_x': fixture_x,
        'metrics': {
            'apAt50': {n: a for n, a in zip(data.FINDINGS, aps)}, 'mAP': m_ap,
            'groundTruthBoxes': {n: int(c) for n, c in zip(data.FINDINGS, n_gt)},
            'trainBoxes': {n: int(c) for n, c in zip(data.FINDINGS, counts)},
            'protocol': 'AP@0.5 per finding, COCO 101-point interpolation, greedy matching by score, '
                        '<=100 detections per image after the served postprocessing '
                        f'(score >= {args.score_threshold}, per-class NMS IoU {args.nms_iou})',
            'validation': {'images': len(va_gt), 'abnormal': int(sum(len(g[1]) > 0 for g in va_gt))},
        },
        'train_s': train_s, 'train_records': tr_recs, 'val_records': va_recs,
    }


@torch.no_grad()
def detect(model, x_u16, mean, std, channels, device, score_threshold, nms_iou, max_dets=100, batch=8):
    """Runs the exported graph's decode, then the serving postprocessing (score threshold,
    per-class NMS, top max_dets): what a client of the serving cluster receives."""
    from torchvision.ops import batched_nms
    exp = nets.DetectorExport(model, k=100).eval()
    out = []
    for b in range(0, len(x_u16), batch):
        x = to_input(np.asarray(x_u16[b:b + batch]), mean, std, channels).to(device)
        boxes, scores, labels = exp(x)
        for bb, ss, ll in zip(boxes.cpu(), scores.cpu(), labels.cpu()):
            keep = ss >= score_threshold
            bb, ss, ll = bb[keep], ss[keep], ll[keep]
            k = batched_nms(bb, ss, ll, nms_iou)[:max_dets]
            out.append((bb[k].numpy(), ss[k].numpy(), ll[k].numpy()))
    return out


def evaluate_detector(model, x_va, va_gt, mean, std, args, device) -> list:
    dets = detect(model, x_va, mean, std, args.channels, device, args.score_threshold, args.nms_iou)
    model.train()
    return metrics.average_precision(dets, va_gt, len(data.FINDINGS))


# ----------------------------------------------------------------------------- main

def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('task', choices=['classifier', 'detector'])
    ap.add_argument('--train', action='append', required=True, help='phantom dataset folder (repeatable)')
    ap.add_argument('--val', required=True, help='held-out phantom dataset folder (different seed)')
    ap.add_argument('--version', type=int, required=True)
    ap.add_argument('--repository', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    ap.add_argument('--width', type=int, default=16)
    ap.add_argument('--channels', type=int, default=1, choices=[1, 3])
    ap.add_argument('--size', type=int, default=512, help='detector input size (square, stretch)')
    ap.add_argument('--crop', type=int, default=256, help='detector training crop size')
    ap.add_argument('--epochs', type=int, default=20)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--eval-every', type=int, default=0)
    ap.add_argument('--repeat-threshold', type=float, default=0.15, help='detector repeat-factor sampling t (0 = off)')
    ap.add_argument('--score-threshold', type=float, default=0.05)
    ap.add_argument('--nms-iou', type=float, default=0.5)
    ap.add_argument('--datasets-json', default='', help='JSON describing the data (seeds, profiles) for metrics.json')
    args = ap.parse_args(argv)
    device = setup(args.seed, args.threads)
    log(f'{args.task} v{args.version} on {device}, torch {torch.__version__}, threads {torch.get_num_threads()}')
    t0 = time.time()
    result = (train_classifier if args.task == 'classifier' else train_detector)(args, device)
    result['total_s'] = time.time() - t0
    os.makedirs(data.CACHE_DIR, exist_ok=True)  # weights, for analysis and fine-tuning (not published)
    torch.save(result['model'].state_dict(), os.path.join(data.CACHE_DIR, f'{args.task}-v{args.version}.pt'))
    repository.publish_version(args, result)
    log(f'{args.task} v{args.version} published in {time.time() - t0:.0f}s')


if __name__ == '__main__':
    main()
