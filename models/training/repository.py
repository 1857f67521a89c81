"""Writes the model repository (Triton-style): model-level config.json, and per version
model.onnx, config.json (overrides deep-merged by serving), metrics.json, MODEL_CARD.md and an
agreement fixture (fixture.json + fixture-image.bin.gz) that models/model-repository.test.ts
replays through ONNX Runtime.

The config.json layout is `ModelConfigSchema` in services/common/model-config.ts.
"""
from __future__ import annotations

import datetime
import gzip
import json
import os
import platform

import numpy as np
import onnx
import torch

import data
import nets

OPSET = 17
CLASSIFIER = 'spine-classifier'
DETECTOR = 'spine-detector'
MAX_DETECTIONS = 100


def model_level_config(name: str, task: str, channels: int, size: tuple[int, int], mean: float, std: float,
                       score_threshold: float = 0.05, nms_iou: float = 0.5) -> dict:
    w, h = size
    cfg = {
        'name': name,
        'task': task,
        'platform': 'onnxruntime',
        'versionPolicy': {'all': True},
        'input': {'name': 'image', 'dtype': 'float32', 'layout': 'NCHW', 'channels': channels, 'height': h, 'width': w},
        'preprocessing': {'resize': 'stretch', 'window': 'voi', 'mean': [mean] * channels, 'std': [std] * channels},
    }
    if task == 'classification':
        cfg['output'] = {'name': 'logit', 'kind': 'logit'}
        cfg['labels'] = ['abnormal']
        cfg['thresholds'] = {'scoreThreshold': score_threshold, 'nmsIou': nms_iou, 'maxDetections': MAX_DETECTIONS}
    else:
        cfg['output'] = {'boxes': 'boxes', 'scores': 'scores', 'labels': 'labels', 'nmsInGraph': False}
        cfg['labels'] = list(data.FINDINGS)
        cfg['thresholds'] = {'scoreThreshold': score_threshold, 'nmsIou': nms_iou, 'maxDetections': MAX_DETECTIONS}
    cfg['batching'] = {'maxBatchSize': 8, 'maxQueueDelayMs': 2}
    return cfg


def export_onnx(module: torch.nn.Module, example: torch.Tensor, path: str, output_names: list[str]) -> None:
    module.eval()
    dynamic = {'image': {0: 'batch'}, **{n: {0: 'batch'} for n in output_names}}
    with torch.no_grad():
        torch.onnx.export(module, example, path, opset_version=OPSET, input_names=['image'],
                          output_names=output_names, dynamic_axes=dynamic, do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m)


def write_fixture(folder: str, x: torch.Tensor, outputs: dict) -> None:
    """Stores the actual float32 input (gzip, little-endian) and PyTorch's outputs."""
    arr = x.detach().cpu().numpy().astype('<f4')
    with open(os.path.join(folder, 'fixture-image.bin.gz'), 'wb') as f:
        f.write(gzip.compress(arr.tobytes(), compresslevel=9, mtime=0))
    fx = {
        'inputs': {'image': {'file': 'fixture-image.bin.gz', 'encoding': 'gzip', 'dtype': 'float32',
                             'shape': list(arr.shape)}},
        'outputs': {},
        'tolerance': 1e-4,
    }
    for name, t in outputs.items():
        a = t.detach().cpu().numpy()
        fx['outputs'][name] = {'dtype': 'int64' if a.dtype == np.int64 else 'float32', 'shape': list(a.shape),
                               'data': [int(v) for v in a.ravel()] if a.dtype == np.int64
                               else [float(v) for v in a.astype(np.float32).ravel()]}
    with open(os.path.join(folder, 'fixture.json'), 'w') as f:
        json.dump(fx, f)


def dump_json(path: str, obj) -> None:
    with open(path, 'w') as f:
        json.dump(obj, f, indent=2)
        f.write('\n')


def publish_version(args, result: dict) -> None:
    is_cls = args.task == 'classifier'
    name = CLASSIFIER if is_cls else DETECTOR
    task = 'classification' if is_cls else 'detection'
    size = (224, 224) if is_cls else (args.size, args.size)
    model_dir = os.path.abspath(os.path.join(args.repository, name))
    vdir = os.path.join(model_dir, str(args.version))
    os.makedirs(vdir, exist_ok=True)
    model = result['model'].eval().cpu()
    mean, std = result['mean'], result['std']

    # ONNX + fixture
    onnx_path = os.path.join(vdir, 'model.onnx')
    if is_cls:
        export_onnx(model, result['fixture_x'][:1], onnx_path, ['logit'])
        with torch.no_grad():
            outs = {'logit': model(result['fixture_x'])}
    else:
        exp = nets.DetectorExport(model, k=MAX_DETECTIONS).eval()
        export_onnx(exp, result['fixture_x'][:1], onnx_path, ['boxes', 'scores', 'labels'])
        with torch.no_grad():
            b, s, l = exp(result['fixture_x'])
        outs = {'boxes': b, 'scores': s, 'labels': l}
    write_fixture(vdir, result['fixture_x'], outs)

    # configs: the model level describes version 1; each version states its own input,
    # normalisation and thresholds, so versions may differ (serving deep-merges the override)
    base = model_level_config(name, task, args.channels, size, mean, std, args.score_threshold, args.nms_iou)
    model_cfg_path = os.path.join(model_dir, 'config.json')
    override = {'input': base['input'], 'preprocessing': base['preprocessing'],
                'thresholds': dict(base['thresholds'])}
    if is_cls:
        override['thresholds']['operatingPoint'] = round(result['metrics']['operatingPoint'], 6)
        base['thresholds']['operatingPoint'] = override['thresholds']['operatingPoint']
    if args.version == 1 or not os.path.exists(model_cfg_path):
        dump_json(model_cfg_path, base)
    dump_json(os.path.join(vdir, 'config.json'), override)

    # metrics.json
    datasets = json.loads(args.datasets_json) if args.datasets_json else {}
    profiles = sorted({r.profile for r in result['train_records']})
    val_profiles = sorted({r.profile for r in result['val_records']})
    meta = {
        'model': name, 'version': args.version, 'task': task,
        **result['metrics'],
        'data': {
            'train': {'folders': [os.path.relpath(p) for p in args.train], 'images': len(result['train_records']),
                      'abnormal': int(sum(r.abnormal for r in result['train_records'])), 'profiles': profiles},
            'validation': {'folder': os.path.relpath(args.val), 'images': len(result['val_records']),
                           'profiles': val_profiles},
            **datasets,
        },
        'training': {
            'architecture': architecture(args), 'parameters': int(sum(p.numel() for p in model.parameters())),
            'input': {'channels': args.channels, 'width': size[0], 'height': size[1]},
            'mean': mean, 'std': std, 'epochs': args.epochs, 'batch': args.batch, 'lr': args.lr,
            'seed': args.seed, 'threads': args.threads, 'cropSize': None if is_cls else min(args.crop, args.size),
            'trainSeconds': round(result['train_s'], 1), 'totalSeconds': round(result['total_s'], 1),
            'device': 'cuda' if torch.cuda.is_available() else 'cpu', 'torch': torch.__version__,
            'onnx': onnx.__version__, 'opset': OPSET, 'python': platform.python_version(),
            'date': datetime.date.today().isoformat(),
        },
        'onnxBytes': os.path.getsize(onnx_path),
    }
    dump_json(os.path.join(vdir, 'metrics.json'), meta)
    with open(os.path.join(vdir, 'MODEL_CARD.md'), 'w') as f:
        f.write(model_card(meta, override))


def architecture(args) -> str:
    if args.task == 'classifier':
        w = args.width
        return (f'SpineClassifier width {w}: 5 stride-2 conv-BN-ReLU stages ({w}-{2*w}-{4*w}-{8*w}-{8*w} channels) '
                f'each followed by a residual block, global average + max pooling, dropout 0.2, linear -> 1 logit; '
                f'{args.channels}-channel 224x224 input; trained from scratch')
    w = args.width
    return (f'SpineDetector width {w}: CenterNet-style anchor-free detector; conv backbone with strides 4/8/16/32 '
            f'({w}-{2*w}-{4*w}-{4*w} channels, residual and dilated blocks), top-down FPN merged at stride 4, '
            f'heads for 7-class heatmap, log box size and centre offset; in-graph decoding (sigmoid, 3x3 max-pool '
            f'peaks, TopK {MAX_DETECTIONS}); {args.channels}-channel {args.size}x{args.size} input; trained from '
            f'scratch on random {min(args.crop, args.size)}x{min(args.crop, args.size)} crops')


def fmt(v) -> str:
    return 'n/a (no ground truth)' if v != v else f'{100 * v:.2f}%'


def model_card(meta: dict, cfg: dict) -> str:
    t = meta['training']
    d = meta['data']
    lines = [
        f"# {meta['model']} version {meta['version']}", '',
        '**Phantom-trained, not for clinical use.** This model was trained only on synthetic spine radiographs '
        '(phantoms from `npx spinexr phantoms`) with known lesions. It exists so the serving cluster has real '
        'models to serve, batch, roll out and monitor; its numbers say nothing about real radiographs.', '',
        '## Architecture', '', t['architecture'] + '.', '',
        f"- parameters: {t['parameters']:,}; ONNX opset {t['opset']}, dynamic batch axis; {meta['onnxBytes']/1e6:.2f} MB",
        f"- input `{cfg['input']['name']}` [N, {cfg['input']['channels']}, {cfg['input']['height']}, {cfg['input']['width']}] "
        f"float32: display-ready [0, 1] image, stretch-resized, (x - {t['mean']}) / {t['std']}",
    ]
    if meta['task'] == 'classification':
        lines.append('- output `logit` [N, 1]: abnormal logit (serving applies the sigmoid)')
    else:
        lines.append('- outputs `boxes` [N, 100, 4] (xmin, ymin, xmax, ymax in model-input pixels), `scores` [N, 100] '
                     'in [0, 1], `labels` [N, 100] int64 index into the 7 findings; no NMS in the graph '
                     '(`nmsInGraph: false`), serving applies per-class NMS')
    lines += ['', '## Data', '',
              f"- trained on {d['train']['images']} phantom images ({d['train']['abnormal']} abnormal), "
              f"profiles {', '.join(d['train']['profiles'])}, folders {', '.join(d['train']['folders'])}",
              f"- validated on {d['validation']['images']} held-out phantom images generated with a different seed "
              f"(profiles {', '.join(d['validation']['profiles'])})"]
    for k in ('seeds', 'generator', 'counts'):
        if k in d:
            lines.append(f'- {k}: `{json.dumps(d[k])}`')
    lines += ['', '## Validation', '']
    if meta['task'] == 'classification':
        lo, hi = meta['aurocCi95']
        lines += [
            f"- AUROC {100*meta['auroc']:.2f}% (95% CI {100*lo:.2f}–{100*hi:.2f}, {meta['bootstrapSamples']:,} "
            f"bootstrap samples, seed {meta['bootstrapSeed']}, percentile)",
            f"- operating point (Youden J) P(abnormal) ≥ {meta['operatingPoint']:.4f}: sensitivity "
            f"{100*meta['sensitivity']:.2f}%, specificity {100*meta['specificity']:.2f}%, F1 {100*meta['f1']:.2f}%",
            f"- confusion at the operating point: {json.dumps(meta['confusion'])}",
        ]
    else:
        lines += ['| finding | AP@0.5 | validation boxes |', '|---|---|---|']
        for n, a in meta['apAt50'].items():
            lines.append(f"| {n} | {fmt(a)} | {meta['groundTruthBoxes'][n]} |")
        lines += [f"| **mAP** | **{fmt(meta['mAP'])}** | |", '', f"Protocol: {meta['protocol']}."]
    lines += ['', '## Intended use', '',
              'Phantom-trained, not for clinical use: load testing, A/B rollout rehearsal, drift-monitoring '
              'demos and integration tests of the SpineXR serving cluster.', '',
              '## How it was made', '',
              f"`npm run models:train` (models/training/train.sh → train.py), {t['device']}, torch {t['torch']}, "
              f"{t['threads']} threads, seed {t['seed']}, {t['epochs']} epochs, batch {t['batch']}, AdamW + one-cycle "
              f"lr {t['lr']}; training {t['trainSeconds']:.0f} s, total with data and validation "
              f"{t['totalSeconds']:.0f} s, on {t['date']}. The ONNX export is checked against PyTorch by "
              '`models/model-repository.test.ts` (fixture.json).', '']
    return '\n'.join(lines)
