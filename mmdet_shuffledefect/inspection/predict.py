"""Detections from a trained detector (an mmdet model or an exported one): the model with
its checkpoint's classes and thresholds, one batch through it, and whole pictures or their
tiles filtered by the per-class alarm thresholds.

Example:
    >>> model = init_inspection_model('configs/sdn_ssd_neu.py', 'best.pth')  # doctest: +SKIP
    >>> boxes, scores, labels = detect(model, cv2.imread('steel.jpg'))        # doctest: +SKIP
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmcv.transforms import Compose
from mmdet.apis import init_detector
from mmdet.utils import get_test_pipeline_cfg
from mmengine.config import Config

from mmdet_shuffledefect.utils.checkpoint_fit import checkpoint_meta, meta_classes, strict_loading
from mmdet_shuffledefect.utils.config_data import set_classes
from mmdet_shuffledefect.utils.model_check import check_if_ours
from mmdet_shuffledefect.utils.score_thresholds import META_KEY, ScoreThr, resolve

from .tiling import merge_across_tiles, tile_origins


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



def _test_pipeline(model):
    """mmdet's test pipeline of ``model``'s config, reading arrays (built once)."""
    pipeline = getattr(model, '_inspection_pipeline', None)
    if pipeline is None:
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
