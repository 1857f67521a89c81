"""Phantom datasets: reads the spinexr CSVs and 16-bit PNGs, resizes like serving, caches arrays.

A dataset folder (written by `npx spinexr phantoms --png`) holds `annotations.csv`, `images.csv`
and `png/<image_id>.png` (display-ready, bone bright; value / 65535 is the [0, 1] image).
Serving resizes the [0, 1] image to the model input with "stretch" (aspect ratio not kept),
so training does the same: one decode per image, resized to every size a model needs, cached
as uint16 .npy under models/training/.cache/ so epochs never decode PNGs again.
"""
from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass, field
from multiprocessing import Pool

import numpy as np
from PIL import Image

FINDINGS = [
    'Osteophytes',
    'Surgical implant',
    'Spondylolysthesis',
    'Foraminal stenosis',
    'Disc space narrowing',
    'Vertebral collapse',
    'Other lesions',
]
NO_FINDING = 'No finding'
CACHE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '.cache')
# Sizes decoded together on a cache miss (one PNG decode serves every model of train.sh).
PREFETCH_SIZES = [(int(v), int(v)) for v in os.environ.get('SPINEXR_CACHE_SIZES', '224,512,640').split(',') if v]


@dataclass
class Record:
    image_id: str
    width: int
    height: int
    profile: str = ''
    view: str = ''
    # boxes in original-image pixels, xmin ymin xmax ymax, and class indices into FINDINGS
    boxes: list = field(default_factory=list)
    labels: list = field(default_factory=list)

    @property
    def abnormal(self) -> int:
        return 1 if self.boxes else 0


def read_dataset(folder: str) -> list[Record]:
    """Reads images.csv and annotations.csv; one Record per image, in images.csv order."""
    records: dict[str, Record] = {}
    with open(os.path.join(folder, 'images.csv'), newline='') as f:
        for row in csv.DictReader(f):
            records[row['image_id']] = Record(
                image_id=row['image_id'], width=int(float(row['width'])), height=int(float(row['height'])),
                profile=row.get('profile', '') or '', view=row.get('view', '') or '')
    with open(os.path.join(folder, 'annotations.csv'), newline='') as f:
        for row in csv.DictReader(f):
            rec = records.get(row['image_id'])
            if rec is None:
                raise ValueError(f"{folder}: annotation for unknown image {row['image_id']}")
            name = row['lesion_type']
            if name == NO_FINDING or not row['xmin']:
                continue
            if name not in FINDINGS:
                raise ValueError(f'{folder}: unknown lesion_type {name!r}')
            box = [float(row[k]) for k in ('xmin', 'ymin', 'xmax', 'ymax')]
            if box[2] <= box[0] or box[3] <= box[1]:
                continue
            rec.boxes.append(box)
            rec.labels.append(FINDINGS.index(name))
    return list(records.values())


def load_display_image(path: str) -> np.ndarray:
    """The 16-bit grey PNG as float32 in [0, 1] (value / 65535)."""
    with Image.open(path) as im:
        a = np.asarray(im)
    if a.ndim == 3:  # tolerate an RGB(A) export: take the first channel
        a = a[..., 0]
    if a.dtype == np.uint8:
        return a.astype(np.float32) / 255.0
    return a.astype(np.float32) / 65535.0


def resize_stretch(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """Stretch-resize a float [0, 1] image to width × height (Pillow bilinear, antialiased when
    shrinking, close to sharp's default resize used by the serving preprocessing stage)."""
    out = Image.fromarray(img.astype(np.float32), mode='F').resize((width, height), Image.BILINEAR)
    return np.clip(np.asarray(out, dtype=np.float32), 0.0, 1.0)


def _decode(args):
    path, sizes = args
    img = load_display_image(path)
    return [np.round(resize_stretch(img, w, h) * 65535.0).astype(np.uint16) for (w, h) in sizes]


def cached_arrays(folder: str, records: list[Record], sizes: list[tuple[int, int]], workers: int = 2) -> dict:
    """{(w, h): uint16 array [N, h, w]} for the records, decoding PNGs only when no cache exists."""
    ann = os.path.join(folder, 'annotations.csv')
    stamp = f'{os.path.abspath(folder)}|{os.path.getmtime(ann)}|{len(records)}'
    key = hashlib.sha1(stamp.encode()).hexdigest()[:12]
    os.makedirs(CACHE_DIR, exist_ok=True)
    paths = {s: os.path.join(CACHE_DIR, f'{key}-{s[0]}x{s[1]}.npy') for s in sizes}
    missing = [s for s in sizes if not os.path.exists(paths[s])]
    if missing:
        extra = [s for s in PREFETCH_SIZES if s not in sizes]
        paths.update({s: os.path.join(CACHE_DIR, f'{key}-{s[0]}x{s[1]}.npy') for s in extra})
        missing += [s for s in extra if not os.path.exists(paths[s])]
        jobs = [(os.path.join(folder, 'png', f'{r.image_id}.png'), missing) for r in records]
        if workers > 1:
            with Pool(workers) as pool:
                results = pool.map(_decode, jobs, chunksize=4)
        else:
            results = [_decode(j) for j in jobs]
        for i, s in enumerate(missing):
            arr = np.stack([r[i] for r in results])
            np.save(paths[s] + '.tmp.npy', arr)
            os.replace(paths[s] + '.tmp.npy', paths[s])
    return {s: np.load(paths[s], mmap_mode='r') for s in sizes}


def load_split(folders: list[str], sizes: list[tuple[int, int]]) -> tuple[list[Record], dict]:
    """Records and cached arrays of one or more dataset folders, concatenated."""
    recs: list[Record] = []
    parts: dict = {s: [] for s in sizes}
    for folder in folders:
        r = read_dataset(folder)
        arrays = cached_arrays(folder, r, sizes)
        recs.extend(r)
        for s in sizes:
            parts[s].append(np.asarray(arrays[s]))
    return recs, {s: np.concatenate(parts[s]) if len(parts[s]) > 1 else parts[s][0] for s in sizes}


def scaled_boxes(rec: Record, width: int, height: int) -> np.ndarray:
    """The record's boxes in model-input pixels for a width × height stretch resize."""
    if not rec.boxes:
        return np.zeros((0, 4), np.float32)
    b = np.asarray(rec.boxes, np.float32).copy()
    b[:, [0, 2]] *= width / rec.width
    b[:, [1, 3]] *= height / rec.height
    return b
