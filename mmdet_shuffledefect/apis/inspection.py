"""Per-image defect reports from a trained detector (the paper's "quantity,
category ... and area of a defect" for quality assessment).

For every image: the defects found (class, score, box, box area in px^2 and
as % of the image) as JSON and CSV rows, plus an annotated copy; for the run:
a summary with counts per class, defective vs clean images and the images
that could not be read (the run carries on past them). Images larger than the
model input (line-scan strips) are cut into overlapping tiles and the
detections merged across tiles.

Example:
    >>> from mmdet.apis import init_detector
    >>> model = init_detector('configs/sdn_ssd_neu.py', 'best.pth', device='cpu')  # doctest: +SKIP
    >>> summary = inspect_paths(model, ['a.jpg', 'strip.png'], 'report/')          # doctest: +SKIP
    >>> summary['images_defective'], summary['counts_per_class']                     # doctest: +SKIP
"""
import csv
import json
import os
import os.path as osp
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')
VIDEO_SUFFIXES = ('.mp4', '.avi', '.mov', '.mkv')
CSV_FIELDS = ['image', 'class', 'score', 'x1', 'y1', 'x2', 'y2', 'area_px', 'area_pct']


def list_inputs(source: str) -> List[str]:
    """An image, a video, or every image/video in a folder (sorted)."""
    if osp.isdir(source):
        return sorted(osp.join(source, f) for f in os.listdir(source)
                      if f.lower().endswith(IMAGE_SUFFIXES + VIDEO_SUFFIXES))
    if not osp.exists(source):
        raise FileNotFoundError(f'input {source} does not exist')
    return [source]


def tile_origins(length: int, tile: int, overlap: int) -> List[int]:
    """Start offsets of tiles of size ``tile`` covering ``length`` with overlap.

    Example:
        >>> tile_origins(500, 200, 50)
        [0, 150, 300]
    """
    if tile <= overlap:
        raise ValueError(f'tile size ({tile}) must exceed the overlap ({overlap})')
    if length <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, length - tile + 1, step))
    if starts[-1] + tile < length:
        starts.append(length - tile)
    return starts


def _predict(model, img: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    from mmdet.apis import inference_detector
    pred = inference_detector(model, img).pred_instances
    return (pred.bboxes.cpu().numpy(), pred.scores.cpu().numpy(),
            pred.labels.cpu().numpy())


def merge_across_tiles(boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray,
                       tiles: np.ndarray, iom_thr: float = 0.3
                       ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge same-class boxes from different tiles that cover one defect.

    Two boxes of the same class found in different tiles are one defect when
    their intersection covers at least ``iom_thr`` of the smaller box (a
    defect cut by a tile border leaves two partial boxes whose IoU is low but
    whose overlap region agrees). Merged boxes take the union and the highest
    score. Boxes from the same tile were already de-duplicated by NMS.
    """
    order = np.argsort(-scores)
    boxes, scores, labels, tiles = boxes[order], scores[order], labels[order], tiles[order]
    merged: List[List] = []  # [box, score, label, set(tiles)]
    for b, s, l, t in zip(boxes, scores, labels, tiles):
        for m in merged:
            if m[2] != l or t in m[3]:
                continue
            ix = min(b[2], m[0][2]) - max(b[0], m[0][0])
            iy = min(b[3], m[0][3]) - max(b[1], m[0][1])
            if ix <= 0 or iy <= 0:
                continue
            smaller = min((b[2] - b[0]) * (b[3] - b[1]), (m[0][2] - m[0][0]) * (m[0][3] - m[0][1]))
            if ix * iy >= iom_thr * smaller:
                m[0] = np.array([min(b[0], m[0][0]), min(b[1], m[0][1]),
                                 max(b[2], m[0][2]), max(b[3], m[0][3])])
                m[3].add(t)
                break
        else:
            merged.append([b.copy(), s, l, {t}])
    if not merged:
        return boxes[:0], scores[:0], labels[:0]
    return (np.stack([m[0] for m in merged]), np.array([m[1] for m in merged]),
            np.array([m[2] for m in merged]))


def detect(model, img: np.ndarray, score_thr: float = 0.3, tile_size: Optional[int] = None,
           tile_overlap: int = 64) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Detect defects in ``img`` (BGR), tiling when it is larger than a tile.

    Args:
        model: An mmdet detector (``init_detector``).
        img (np.ndarray): HxWx3 BGR image.
        score_thr (float): Keep detections scoring at least this.
        tile_size (int, optional): Tile side in px; None never tiles.
        tile_overlap (int): Overlap between neighbouring tiles in px.

    Returns:
        tuple: boxes (N, 4) in image px, scores (N, ), labels (N, ).
    """
    h, w = img.shape[:2]
    if not tile_size or (h <= tile_size and w <= tile_size):
        boxes, scores, labels = _predict(model, img)
        keep = scores >= score_thr
        return boxes[keep], scores[keep], labels[keep]
    all_b, all_s, all_l, all_t = [], [], [], []
    tile_id = 0
    for y0 in tile_origins(h, tile_size, tile_overlap):
        for x0 in tile_origins(w, tile_size, tile_overlap):
            crop = img[y0:y0 + tile_size, x0:x0 + tile_size]
            b, s, l = _predict(model, np.ascontiguousarray(crop))
            keep = s >= score_thr
            b = b[keep] + np.array([x0, y0, x0, y0], dtype=b.dtype)
            all_b.append(b)
            all_s.append(s[keep])
            all_l.append(l[keep])
            all_t.append(np.full(len(b), tile_id))
            tile_id += 1
    return merge_across_tiles(np.concatenate(all_b), np.concatenate(all_s),
                              np.concatenate(all_l), np.concatenate(all_t))


def defect_records(boxes, scores, labels, classes: Sequence[str], width: int,
                   height: int) -> List[Dict]:
    """One dict per defect: class, score, box, area in px^2 and % of image."""
    records = []
    for b, s, l in zip(boxes, scores, labels):
        x1, y1, x2, y2 = (round(float(v), 2) for v in b)
        area = round((x2 - x1) * (y2 - y1), 2)
        records.append({'class': classes[int(l)], 'score': round(float(s), 4),
                        'box': [x1, y1, x2, y2], 'area_px': area,
                        'area_pct': round(100.0 * area / (width * height), 4)})
    return records


def draw(img: np.ndarray, records: List[Dict], classes: Sequence[str],
         palette: Sequence) -> np.ndarray:
    """A copy of ``img`` with each defect's box, class and score drawn."""
    out = img.copy()
    for r in records:
        rgb = palette[classes.index(r['class']) % len(palette)]
        color = tuple(int(c) for c in rgb[::-1])  # RGB -> BGR
        x1, y1, x2, y2 = (int(round(v)) for v in r['box'])
        cv2.rectangle(out, (x1, y1), (x2, y2), color, 2)
        cv2.putText(out, f"{r['class']} {r['score']:.2f}", (x1 + 2, max(10, y1 + 10)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.35, color, 1, cv2.LINE_AA)
    return out


def _frames(path: str, every: int) -> Iterator[Tuple[str, Optional[np.ndarray]]]:
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        yield path, None
        return
    index = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if index % every == 0:
            yield f'{path}#frame{index:06d}', frame
        index += 1
    cap.release()


def _images(paths: Iterable[str], video_every: int) -> Iterator[Tuple[str, Optional[np.ndarray]]]:
    for path in paths:
        if path.lower().endswith(VIDEO_SUFFIXES):
            yield from _frames(path, video_every)
        else:
            yield path, cv2.imread(path, cv2.IMREAD_COLOR)


def inspect_paths(model, paths: Sequence[str], out_dir: str, score_thr: float = 0.3,
                  tile_size: Optional[int] = None, tile_overlap: int = 64,
                  video_every: int = 1, save_images: bool = True,
                  progress: bool = True) -> Dict:
    """Inspect images/videos and write the reports under ``out_dir``.

    Writes ``report.json`` (every image and its defects), ``report.csv`` (one
    row per defect), ``summary.json`` and ``annotated/<name>`` images.

    Returns:
        dict: The summary (also written to ``summary.json``).
    """
    from tqdm import tqdm
    classes = list(model.dataset_meta['classes'])
    palette = model.dataset_meta.get('palette') or [(255, 0, 0)]
    os.makedirs(out_dir, exist_ok=True)
    if save_images:
        os.makedirs(osp.join(out_dir, 'annotated'), exist_ok=True)
    report, rows, unreadable = [], [], []
    counts = {c: 0 for c in classes}
    items = _images(paths, video_every)
    bar = tqdm(items, total=len(paths), desc='inspecting', unit='img', disable=not progress)
    for name, img in bar:
        if img is None:
            unreadable.append(name)
            bar.write(f'warning: cannot read {name} as an image; skipped')
            continue
        h, w = img.shape[:2]
        with torch.no_grad():
            boxes, scores, labels = detect(model, img, score_thr, tile_size, tile_overlap)
        records = defect_records(boxes, scores, labels, classes, w, h)
        report.append({'image': name, 'width': w, 'height': h, 'defects': records})
        for r in records:
            counts[r['class']] += 1
            rows.append({'image': name, 'class': r['class'], 'score': r['score'],
                         'x1': r['box'][0], 'y1': r['box'][1], 'x2': r['box'][2],
                         'y2': r['box'][3], 'area_px': r['area_px'], 'area_pct': r['area_pct']})
        if save_images:
            base = osp.basename(name).replace('#', '_')
            if not base.lower().endswith(IMAGE_SUFFIXES):
                base += '.jpg'
            cv2.imwrite(osp.join(out_dir, 'annotated', base), draw(img, records, classes, palette))
    defective = sum(1 for r in report if r['defects'])
    summary = {'images_total': len(report) + len(unreadable), 'images_read': len(report),
               'images_defective': defective, 'images_clean': len(report) - defective,
               'defects_total': len(rows), 'counts_per_class': counts,
               'unreadable': unreadable, 'score_thr': score_thr,
               'tile_size': tile_size, 'tile_overlap': tile_overlap}
    with open(osp.join(out_dir, 'report.json'), 'w') as f:
        json.dump(report, f, indent=1)
    with open(osp.join(out_dir, 'report.csv'), 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    with open(osp.join(out_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    return summary
