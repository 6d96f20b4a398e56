"""Per-image defect reports from a trained detector (the paper's "quantity,
category ... and area of a defect" for quality assessment).

For every image: the defects found (class, score, box, box area in px^2 and
as % of the image) as JSON and CSV rows, plus an annotated copy; for the run:
a summary with counts per class, defective vs clean images and the images
that could not be read (the run carries on past them). Images larger than the
model input (line-scan strips) are cut into overlapping tiles and the
detections merged across tiles.

Example:
    >>> model = init_inspection_model('configs/sdn_ssd_neu.py', 'best.pth')  # doctest: +SKIP
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

from .picture_files import read_picture, shown_name
from .score_thresholds import META_KEY, ScoreThr, as_record, resolve

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')
VIDEO_SUFFIXES = ('.mp4', '.avi', '.mov', '.mkv')
#: One row per defect, and one per clean or unreadable image (empty defect fields), so the
#: CSV lists every image inspected; scores are 0..1 everywhere (files and pictures).
CSV_FIELDS = ['image', 'status', 'defects_in_image', 'class', 'score', 'x1', 'y1', 'x2', 'y2',
              'area_px', 'area_pct']
#: What a report folder holds; a new run refuses a folder holding any of them unless
#: asked to overwrite (then they are removed first, nothing else is).
REPORT_OUTPUTS = ('report.json', 'report.csv', 'summary.json', 'annotated')


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


def _test_pipeline(model):
    """mmdet's test pipeline of ``model``'s config, reading arrays (built once)."""
    pipeline = getattr(model, '_inspection_pipeline', None)
    if pipeline is None:
        from mmcv.transforms import Compose
        from mmdet.utils import get_test_pipeline_cfg
        steps = get_test_pipeline_cfg(model.cfg.copy())
        steps[0].type = 'mmdet.LoadImageFromNDArray'
        pipeline = Compose(steps)
        model._inspection_pipeline = pipeline
    return pipeline


def predict_batch(model, imgs: Sequence[np.ndarray]
                  ) -> List[Tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Boxes, scores and labels of each BGR image, in its own pixels, in one batch.

    Args:
        model: An mmdet detector (the config's test pipeline prepares every
            image, then one ``test_step`` runs the batch) or an
            :class:`~mmdet_shuffledefect.deployment.OnnxDetector`.
        imgs (Sequence[np.ndarray]): HxWx3 BGR images.

    Returns:
        list: ``(boxes (N, 4), scores (N, ), labels (N, ))`` per image.
    """
    if not imgs:
        return []
    if hasattr(model, 'predict_images'):  # an OnnxDetector
        return model.predict_images(imgs)
    pipeline = _test_pipeline(model)
    datas = [pipeline(dict(img=img, img_id=i)) for i, img in enumerate(imgs)]
    batch = dict(inputs=[d['inputs'] for d in datas],
                 data_samples=[d['data_samples'] for d in datas])
    with torch.no_grad():
        results = model.test_step(batch)
    return [(r.pred_instances.bboxes.cpu().numpy(), r.pred_instances.scores.cpu().numpy(),
             r.pred_instances.labels.cpu().numpy()) for r in results]


#: ``tile_size='auto'`` (the default of the API and the CLI) tiles only pictures whose
#: longer side exceeds this many times the model's input side; everything else is
#: resized whole, as the config's test pipeline does in training and testing.
AUTO_TILE_FACTOR = 3


def model_input_side(model) -> int:
    """The longer side (px) of the model's input: its test ``Resize`` (mmdet model) or the
    exported graph's input size (``OnnxDetector``)."""
    size = getattr(model, 'input_size', None)
    if size is None:
        from mmdet_shuffledefect.deployment.onnx_detector import config_input_size
        size = config_input_size(model.cfg)
    return int(max(size))


def resolve_tiling(model, tile_size, imgs: Sequence[np.ndarray]
                   ) -> Tuple[Optional[int], Optional[int], str]:
    """The tile side for ``imgs`` (None: no tiling), the side above which a picture is
    tiled, and a sentence saying why.

    ``'auto'``: no tiling unless a picture's longer side exceeds ``AUTO_TILE_FACTOR`` x
    the model's input side (a line-scan strip, say); such pictures are cut into tiles of
    the input side. An int tiles every picture with a side above it; 0 or None never tiles.
    """
    if tile_size == 'auto':
        side = model_input_side(model)
        limit = AUTO_TILE_FACTOR * side
        if any(max(img.shape[:2]) > limit for img in imgs):
            return side, limit, (f'auto: pictures with a side over {limit} px ({AUTO_TILE_FACTOR}x the '
                          f'model input {side} px) cut into {side}-px tiles; the others '
                          'resized whole as in training')
        return None, None, (f'auto: no picture has a side over {limit} px ({AUTO_TILE_FACTOR}x the '
                      f'model input {side} px): every picture resized whole, as in training')
    if not tile_size:
        return None, None, 'off: every picture resized whole, as in training'
    if not isinstance(tile_size, int) or tile_size < 1:
        raise ValueError(f"tile_size must be 'auto', a positive int or 0/None, got "
                         f'{tile_size!r}')
    return tile_size, tile_size, (f'pictures with a side over {tile_size} px cut into '
                                  f'{tile_size}-px tiles')


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


def model_thresholds(model, score_thr: Optional[ScoreThr] = None) -> Tuple[np.ndarray, str]:
    """One threshold per class of ``model`` and where it comes from: ``score_thr`` where
    given, else the thresholds its checkpoint carries (``model.inspection_score_thr``), else
    the default (:func:`.score_thresholds.resolve`).

    Raises:
        ValueError: Thresholds that do not fit the model's classes.
    """
    return resolve(list(model.dataset_meta['classes']), given=score_thr,
                   carried=getattr(model, 'inspection_score_thr', None))


def detect_many(model, imgs: Sequence[np.ndarray], score_thr: Optional[ScoreThr] = None,
                tile_size: Optional[int] = None, tile_overlap: int = 64,
                batch_size: int = 1, tile_above: Optional[int] = None
                ) -> List[Tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Detect defects in several BGR images, tiling those larger than a tile.

    Whole images and tiles alike go through the detector ``batch_size`` at a
    time; the reports are the same for any batch size.

    Args:
        model: An mmdet detector or an ``OnnxDetector``.
        imgs (Sequence[np.ndarray]): HxWx3 BGR images.
        score_thr (float | dict | Sequence[float], optional): Keep detections scoring at
            least this: one number, or one per class (a class -> number dict or a sequence
            by label index; :mod:`.score_thresholds`). None: the thresholds the checkpoint
            carries, else 0.3.
        tile_size (int, optional): Tile side in px; None never tiles.
        tile_overlap (int): Overlap between neighbouring tiles in px.
        batch_size (int): Images or tiles per forward pass.
        tile_above (int, optional): Tile only pictures with a side over this many px.
            Defaults to ``tile_size``.

    Returns:
        list: ``(boxes (N, 4) in image px, scores (N, ), labels (N, ))`` per image.
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    thresholds, _ = model_thresholds(model, score_thr)
    jobs = []  # (image index, x0, y0, tile id or -1, crop)
    for i, img in enumerate(imgs):
        h, w = img.shape[:2]
        if not tile_size or max(h, w) <= (tile_above or tile_size):
            jobs.append((i, 0, 0, -1, img))
            continue
        tile_id = 0
        for y0 in tile_origins(h, tile_size, tile_overlap):
            for x0 in tile_origins(w, tile_size, tile_overlap):
                jobs.append((i, x0, y0, tile_id, None))  # cut when its batch runs
                tile_id += 1
    preds = []
    for start in range(0, len(jobs), batch_size):  # tiles cut a batch at a time: memory
        part = jobs[start:start + batch_size]      # bounded by the batch, not the picture
        preds += predict_batch(model, [job[4] if job[3] < 0 else np.ascontiguousarray(
            imgs[job[0]][job[2]:job[2] + tile_size, job[1]:job[1] + tile_size])
            for job in part])
    parts: List[List] = [[] for _ in imgs]
    for (i, x0, y0, tile_id, _), (b, s, l) in zip(jobs, preds):
        keep = s >= thresholds[l.astype(np.int64)]
        parts[i].append((b[keep] + np.array([x0, y0, x0, y0], dtype=b.dtype), s[keep], l[keep],
                         np.full(int(keep.sum()), tile_id)))
    tiled = {job[0] for job in jobs if job[3] >= 0}
    out = []
    for i, pieces in enumerate(parts):
        boxes, scores, labels, tiles = (np.concatenate(x) for x in zip(*pieces))
        out.append(merge_across_tiles(boxes, scores, labels, tiles) if i in tiled
                   else (boxes, scores, labels))
    return out


def detect(model, img: np.ndarray, score_thr: Optional[ScoreThr] = None,
           tile_size: Optional[int] = None, tile_overlap: int = 64, batch_size: int = 1
           ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Detect defects in one BGR image (tiles go ``batch_size`` at a time); see
    :func:`detect_many`.

    Returns:
        tuple: boxes (N, 4) in image px, scores (N, ), labels (N, ).
    """
    return detect_many(model, [img], score_thr, tile_size, tile_overlap, batch_size)[0]


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


def inspection_visualizer(classes: Sequence[str], palette: Sequence):
    """mmdet's ``DetLocalVisualizer`` set up for ``classes`` (one per process)."""
    from mmdet.visualization import DetLocalVisualizer
    vis = DetLocalVisualizer.get_instance('mmdet_shuffledefect_inspection')
    if isinstance(palette, str) or len(palette) < len(classes):
        palette = 'random'  # mmdet's seeded palette: the same colours every run
    vis.dataset_meta = {'classes': tuple(classes), 'palette': palette}
    return vis


def place_labels(boxes: np.ndarray, sizes: Sequence[Tuple[float, float]], width: int,
                 height: int) -> List[Optional[Tuple[float, float]]]:
    """Top-left corners for the label of every box, best box first, so that no label
    covers another.

    Each label tries, in turn: above the box's top-left corner, inside it, below it,
    then the same at the box's right edge, each slid down a label height at a time
    while it overlaps a label placed before; the first spot inside the picture that
    overlaps none wins. Where there is none (a crowd of boxes), the label is left out
    (None): the box is still drawn and the reports list it.

    Args:
        boxes (np.ndarray): ``(N, 4)`` boxes, in the order the labels are placed.
        sizes: ``(width, height)`` of each label in px.
        width, height (int): The picture's size.

    Returns:
        list: ``(x, y)`` of each label, or None where it is left out.

    Example:
        >>> place_labels(np.array([[10, 30, 60, 60], [12, 32, 62, 62]]), [(40, 12)] * 2, 200, 200)
        [(10.0, 18.0), (12.0, 32.0)]
    """
    placed: List[Tuple[float, float, float, float]] = []

    def free(x, y, w, h):
        return all(x + w <= a or a + c <= x or y + h <= b or b + d <= y for a, b, c, d in placed)

    out: List[Optional[Tuple[float, float]]] = []
    for (x1, y1, x2, y2), (w, h) in zip(np.asarray(boxes, float).reshape(-1, 4), sizes):
        spot = None
        if w <= width and h <= height:
            for x, y in [(x1, y1 - h), (x1, y1), (x1, y2), (x2 - w, y1 - h), (x2 - w, y1),
                         (x2 - w, y2)]:
                x, y = min(max(x, 0.0), width - w), min(max(y, 0.0), height - h)
                while not free(x, y, w, h) and y + h < height:
                    y = min(y + h, height - h)
                if free(x, y, w, h):
                    spot = (float(x), float(y))
                    break
        if spot is not None:
            placed.append((spot[0], spot[1], w, h))
        out.append(spot)
    return out


def draw(img: np.ndarray, boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray,
         classes: Sequence[str], palette: Sequence) -> np.ndarray:
    """A BGR copy of ``img`` (BGR) with the detections drawn with mmengine's visualizer:
    one colour per class, labels ``class 0.87`` (scores 0..1, as in the reports) placed
    so they do not cover each other (:func:`place_labels`; in a crowd the labels of the
    weaker boxes are left out), best detection on top."""
    from mmdet.visualization.palette import get_palette
    vis = inspection_visualizer(classes, palette)
    vis.set_image(np.ascontiguousarray(img[..., ::-1]))
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    scores, labels = np.asarray(scores, np.float32), np.asarray(labels, np.int64)
    if len(boxes):
        import warnings
        order = np.argsort(-scores, kind='stable')
        boxes, scores, labels = boxes[order], scores[order], labels[order]
        colours = get_palette(vis.dataset_meta['palette'], len(classes))
        colour = [tuple(int(c) for c in colours[i]) for i in labels]
        height, width = img.shape[:2]
        font = int(np.clip(min(height, width) / 18, 8, 14))
        texts = [f'{classes[i]} {s:.2f}' for i, s in zip(labels, scores)]
        # the rendered size of a label (mmengine draws DejaVu Sans), with its background
        sizes = [(0.75 * font * len(t) + 6, 1.5 * font + 4) for t in texts]
        spots = place_labels(boxes, sizes, width, height)
        with warnings.catch_warnings():
            # mmengine calls a box "out of bounds" when a corner equals the picture's width
            # or height, i.e. every box the head clipped to the border; it is drawn right
            warnings.filterwarnings('ignore', message='Warning: The bbox is out of bounds')
            vis.draw_bboxes(torch.as_tensor(boxes[::-1].copy()), edge_colors=colour[::-1],
                            line_widths=max(1, font // 7))
            shown = [i for i in range(len(texts)) if spots[i] is not None][::-1]
            if shown:
                vis.draw_texts([texts[i] for i in shown],
                               np.array([spots[i] for i in shown]) + 3, colors='white',
                               font_sizes=font, vertical_alignments='top',
                               bboxes=[dict(facecolor=tuple(v / 255 for v in colour[i]),
                                            alpha=0.75, pad=0.6, edgecolor='none')
                                       for i in shown])
    return np.ascontiguousarray(vis.get_image()[..., ::-1])


def prepare_out_dir(out_dir: str, overwrite: bool = False) -> None:
    """Make ``out_dir`` ready for a new report: refuse one that holds a report unless
    ``overwrite`` (then only the report's own files are removed first).

    Raises:
        FileExistsError: ``out_dir`` holds a report and ``overwrite`` is False.
    """
    import shutil
    found = [n for n in REPORT_OUTPUTS if osp.exists(osp.join(out_dir, n))]
    if found and not overwrite:
        raise FileExistsError(
            f'{out_dir} already holds a report ({", ".join(found)}): old annotated pictures '
            'would sit beside the new reports. Choose a new --out-dir, or pass --overwrite '
            '(overwrite=True) to replace that report.')
    for name in found:
        path = osp.join(out_dir, name)
        shutil.rmtree(path) if osp.isdir(path) else os.remove(path)
    os.makedirs(out_dir, exist_ok=True)


def init_inspection_model(config, checkpoint: str, device: str = 'cpu',
                          partial_load: bool = False):
    """``init_detector`` with the classes (and ``num_classes``) the checkpoint was trained on.

    A checkpoint written by the Runner records its training set's classes in
    ``meta.dataset_meta``; a model trained on your own classes then loads into
    the config it was trained from without restating them. A checkpoint whose
    tensors do not fit the config (another width, another head) is refused with
    :class:`~mmdet_shuffledefect.utils.checkpoint_fit.CheckpointMismatchError`.

    Args:
        config (str | Config): Detector config.
        checkpoint (str): Checkpoint file.
        device (str): ``'cpu'`` or ``'cuda:0'``. Defaults to 'cpu'.
        partial_load (bool): Load only the tensors that fit instead of refusing.
            Defaults to False.

    Returns:
        The detector, in eval mode, with ``dataset_meta`` from the checkpoint and
        ``inspection_score_thr``: the alarm thresholds the checkpoint carries (chosen on
        its scores; :mod:`.score_thresholds`), or None.

    Example:
        >>> model = init_inspection_model('configs/sdn_ssd_neu.py', 'my.pth')  # doctest: +SKIP
        >>> model.dataset_meta['classes']                                      # doctest: +SKIP
        ('scale', 'hole')
    """
    from mmdet.apis import init_detector
    from mmengine.config import Config

    from mmdet_shuffledefect.utils.checkpoint_fit import (checkpoint_meta, meta_classes,
                                                          strict_loading)
    from mmdet_shuffledefect.utils.config_data import set_classes
    from mmdet_shuffledefect.utils.model_check import check_if_ours
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    meta = checkpoint_meta(checkpoint)
    classes = meta_classes(meta)
    if classes:
        set_classes(cfg, classes)
    with strict_loading(checkpoint, partial=partial_load):
        model = init_detector(cfg, checkpoint, device=device)
    check_if_ours(model, cfg)
    model.inspection_score_thr = meta.get(META_KEY)
    return model


def _frames(path: str, every: int) -> Iterator[Tuple[str, Optional[np.ndarray], Optional[str]]]:
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        yield path, None, 'cannot be opened as a video'
        return
    index = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if index % every == 0:
            yield f'{path}#frame{index:06d}', frame, None
        index += 1
    cap.release()


def _images(paths: Iterable[str], video_every: int
            ) -> Iterator[Tuple[str, Optional[np.ndarray], Optional[str]]]:
    """``(name, picture or None, why not)`` for every picture and sampled video frame."""
    for path in paths:
        if path.lower().endswith(VIDEO_SUFFIXES):
            yield from _frames(path, video_every)
        else:  # read as bytes (any file name), size checked from the header first
            picture = read_picture(path)
            yield path, picture.img, picture.error


def inspect_paths(model, paths: Sequence[str], out_dir: str,
                  score_thr: Optional[ScoreThr] = None,
                  tile_size='auto', tile_overlap: int = 64,
                  video_every: int = 1, save_images: bool = True,
                  progress: bool = True, batch_size: int = 1,
                  overwrite: bool = False, db=None,
                  score_thr_source: Optional[str] = None) -> Dict:
    """Inspect images/videos and write the reports under ``out_dir``.

    Writes ``report.json`` (every image and its defects), ``report.csv`` (one
    row per defect and one per clean or unreadable image, ``status`` says
    which), ``summary.json`` and ``annotated/<name>`` images. An unreadable file
    is reported and skipped; the run carries on. Scores are 0..1 in the files
    and on the pictures.

    Args:
        model: An mmdet detector (:func:`init_inspection_model`) or an
            :class:`~mmdet_shuffledefect.deployment.OnnxDetector`.
        paths (Sequence[str]): Images and videos.
        out_dir (str): Where the reports go.
        score_thr (float | dict | Sequence[float], optional): Minimum score, one for every
            class or one per class (:mod:`.score_thresholds`). None (default): the
            thresholds the checkpoint carries (chosen on its val split), else 0.3; the
            summary's ``score_thr_source`` says which.
        tile_size (str | int | None): ``'auto'`` (default): resize every picture whole,
            as the config's test pipeline does, unless it is over
            ``AUTO_TILE_FACTOR`` x the model input (then tiles of the input side, said in
            the summary); an int tiles every picture with a side above it; 0/None never.
        tile_overlap (int): Tile overlap in px. Defaults to 64.
        video_every (int): Inspect every Nth video frame. Defaults to 1.
        save_images (bool): Write annotated images. Defaults to True.
        progress (bool): Show a progress bar. Defaults to True.
        batch_size (int): Images (or tiles) per forward pass; the reports
            do not depend on it. Defaults to 1.
        overwrite (bool): Replace a report already in ``out_dir`` (its own files
            only); by default such a folder is refused (:func:`prepare_out_dir`).
        db (ResultsDB, optional): Also record every image (by content) and its defects
            there, one transaction per batch (:mod:`.results_db`); images it already
            holds for this model are skipped (listed in the summary).
        score_thr_source (str, optional): Where ``score_thr`` came from, for the summary
            (the tools pass the one line :func:`.score_thresholds.resolve` wrote).

    Returns:
        dict: The summary (also written to ``summary.json``).
    """
    from tqdm import tqdm
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    classes = list(model.dataset_meta['classes'])
    # a bad threshold stops before any work
    thresholds, source = model_thresholds(model, score_thr)
    if score_thr_source:
        source = score_thr_source
    palette = model.dataset_meta.get('palette') or 'random'
    prepare_out_dir(out_dir, overwrite)
    if save_images:
        os.makedirs(osp.join(out_dir, 'annotated'), exist_ok=True)
    report, rows, unreadable = [], [], []
    counts = {c: 0 for c in classes}
    bar = tqdm(total=len(paths), desc='inspecting', unit='img', disable=not progress)

    tiling = {'tiled_images': [], 'how': set()}
    hashes, skipped = {}, []
    stats = {}
    if db is not None:
        from .results_db import arrival_key, content_hashes, legacy_key
        hashes = content_hashes(paths)
        for p in paths:
            try:
                stats[p] = os.stat(p)
            except OSError:
                pass
        arrivals = {p: arrival_key(p, stats[p].st_size, stats[p].st_mtime_ns, hashes[p])
                    for p in paths if hashes[p] and p in stats}
        done = db.recorded(list(arrivals.values()) +
                           [legacy_key(p, h) for p, h in hashes.items() if h])
        recorded = {p for p in paths if arrivals.get(p) in done or
                    (hashes[p] and legacy_key(p, hashes[p]) in done)}
        skipped = [shown_name(p) for p in paths if p in recorded]
        paths = [p for p in paths if p not in recorded]
        bar.total = len(paths)

    def db_item(name, **fields):
        base, _, frame = name.partition('#frame')
        digest = hashes.get(base) or 'unhashed:' + base
        st = stats.get(base)
        return dict(path=name, sha256=digest + (f'#frame{frame}' if frame else ''),
                    size_bytes=st.st_size if st else None,
                    mtime_ns=st.st_mtime_ns if st else None, **fields)

    def flush(pending):
        imgs = [img for _, img in pending]
        tile, above, how = resolve_tiling(model, tile_size, imgs)
        tiling['how'].add(how)
        found = detect_many(model, imgs, thresholds, tile, tile_overlap, batch_size, above)
        items = []
        for (name, img), (boxes, scores, labels) in zip(pending, found):
            h, w = img.shape[:2]
            if tile and max(h, w) > above:
                tiling['tiled_images'].append(shown_name(name))
            records = defect_records(boxes, scores, labels, classes, w, h)
            shown = shown_name(name)  # readable and writable text of any file name
            report.append({'image': shown, 'width': w, 'height': h, 'defects': records})
            items.append(db_item(name, width=w, height=h,
                                 status='defect' if records else 'clean',
                                 defects=[dict(r, cls=r['class']) for r in records]))
            if not records:
                rows.append({'image': shown, 'status': 'clean', 'defects_in_image': 0})
            for r in records:
                counts[r['class']] += 1
                rows.append({'image': shown, 'status': 'defect',
                             'defects_in_image': len(records), 'class': r['class'],
                             'score': r['score'], 'x1': r['box'][0], 'y1': r['box'][1],
                             'x2': r['box'][2], 'y2': r['box'][3], 'area_px': r['area_px'],
                             'area_pct': r['area_pct']})
            if save_images:
                base = shown_name(osp.basename(name)).replace('#', '_').replace('\\', '_')
                if not base.lower().endswith(IMAGE_SUFFIXES):
                    base += '.jpg'
                cv2.imwrite(osp.join(out_dir, 'annotated', base),
                            draw(img, boxes, scores, labels, classes, palette))
            if '#frame' not in name:
                bar.update(1)
        if db is not None:
            db.record_batch(items)  # one transaction for the batch

    pending = []
    for name, img, error in _images(paths, video_every):
        if img is None:
            if pending:  # keep the rows in input order whatever the batch size
                flush(pending)
                pending = []
            unreadable.append(shown_name(name))
            rows.append({'image': shown_name(name), 'status': 'unreadable',
                         'defects_in_image': ''})
            if db is not None:
                db.record_batch([db_item(name, status='unreadable', error=error)])
            bar.write(f'warning: {shown_name(name)}: {error}; skipped')
            bar.update(1)
            continue
        pending.append((name, img))
        if len(pending) >= batch_size:
            flush(pending)
            pending = []
    if pending:
        flush(pending)
    bar.close()
    defective = sum(1 for r in report if r['defects'])
    summary = {'images_total': len(report) + len(unreadable), 'images_read': len(report),
               'images_defective': defective, 'images_clean': len(report) - defective,
               'defects_total': sum(counts.values()), 'counts_per_class': counts,
               'unreadable': unreadable, 'score_thr': as_record(thresholds, classes),
               'score_thr_source': source,
               'tile_size': tile_size, 'tile_overlap': tile_overlap,
               # one sentence for the run: how tiled pictures were cut, if any was
               'tiling': min(tiling['how'], key=lambda h: ('cut into' not in h
                                                           or not tiling['tiled_images'], h),
                             default=''),
               'tiled_images': tiling['tiled_images'],
               # which runtime and precision produced the report (never implied)
               'skipped_recorded': skipped,  # already in the results database
               'runtime': (model.describe() if hasattr(model, 'describe')
                           else f'pytorch, precision f32, {next(model.parameters()).device}')}
    with open(osp.join(out_dir, 'report.json'), 'w') as f:
        json.dump(report, f, indent=1)
    with open(osp.join(out_dir, 'report.csv'), 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    with open(osp.join(out_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    return summary
