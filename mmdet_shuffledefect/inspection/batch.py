"""Per-image defect reports from a trained detector (the paper's "quantity,
category ... and area of a defect" for quality assessment).

For every image: the defects found (class, score, box, box area in px^2 and
as % of the image) as JSON and CSV rows, plus an annotated copy; for the run:
a summary with counts per class, defective vs clean images and the images
that could not be read (the run carries on past them). Images larger than the
model input (line-scan strips) are cut into overlapping tiles and the
detections merged across tiles (:mod:`.tiling`).

Example:
    >>> model = init_inspection_model('configs/sdn_ssd_neu.py', 'best.pth')  # doctest: +SKIP
    >>> summary = inspect_paths(model, ['a.jpg', 'strip.png'], 'report/')          # doctest: +SKIP
    >>> summary['images_defective'], summary['counts_per_class']                     # doctest: +SKIP
"""
import csv
import json
import os
import os.path as osp
import shutil
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from tqdm import tqdm

from mmdet_shuffledefect.utils.score_thresholds import ScoreThr, as_record

from .drawing import draw
from .picture_files import shown_name
from .predict import defect_records, detect_many, model_thresholds
from .picture_identity import arrival_key, content_hashes, legacy_key
from .sources import IMAGE_SUFFIXES, read_inputs
from .tiling import resolve_tiling

#: One row per defect, and one per clean or unreadable image (empty defect fields), so the
#: CSV lists every image inspected; scores are 0..1 everywhere (files and pictures).
CSV_FIELDS = ['image', 'status', 'defects_in_image', 'class', 'score', 'x1', 'y1', 'x2', 'y2',
              'area_px', 'area_pct']

#: What a report folder holds; a new run refuses a folder holding any of them unless
#: asked to overwrite (then they are removed first, nothing else is).
REPORT_OUTPUTS = ('report.json', 'report.csv', 'summary.json', 'annotated')


def prepare_out_dir(out_dir: str, overwrite: bool = False) -> None:
    """Make ``out_dir`` ready for a new report: refuse one that holds a report unless
    ``overwrite`` (then only the report's own files are removed first).

    Raises:
        FileExistsError: ``out_dir`` holds a report and ``overwrite`` is False.
    """
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
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    # a bad threshold stops before any work
    thresholds, source = model_thresholds(model, score_thr)
    prepare_out_dir(out_dir, overwrite)
    if save_images:
        os.makedirs(osp.join(out_dir, 'annotated'), exist_ok=True)
    run = _Run(model, out_dir, thresholds, tile_size, tile_overlap, save_images, batch_size, db)
    paths = run.skip_recorded(list(paths))
    bar = tqdm(total=len(paths), desc='inspecting', unit='img', disable=not progress)
    pending = []
    for name, img, error in read_inputs(paths, video_every):
        if img is not None:
            pending.append((name, img))
        if pending and (img is None or len(pending) >= batch_size):
            # an unreadable picture flushes first: the rows keep the input order
            bar.update(run.inspect(pending))
            pending = []
        if img is None:
            run.unreadable(name, error)
            bar.write(f'warning: {shown_name(name)}: {error}; skipped')
            bar.update(1)
    if pending:
        bar.update(run.inspect(pending))
    bar.close()
    return run.write(score_thr_source or source)


class _Run:
    """One :func:`inspect_paths` run: what it found so far and where it goes."""

    def __init__(self, model, out_dir: str, thresholds: np.ndarray, tile_size,
                 tile_overlap: int, save_images: bool, batch_size: int, db) -> None:
        self.model, self.out_dir, self.thresholds = model, out_dir, thresholds
        self.tile_size, self.tile_overlap = tile_size, tile_overlap
        self.save_images, self.batch_size, self.db = save_images, batch_size, db
        self.classes = list(model.dataset_meta['classes'])
        self.palette = model.dataset_meta.get('palette') or 'random'
        self.report: List[Dict] = []
        self.rows: List[Dict] = []
        self.unread: List[str] = []
        self.counts = {c: 0 for c in self.classes}
        self.tiled: List[str] = []
        self.tiling_how: set = set()
        self.hashes: Dict[str, Optional[str]] = {}
        self.stats: Dict[str, os.stat_result] = {}
        self.skipped: List[str] = []

    def skip_recorded(self, paths: List[str]) -> List[str]:
        """``paths`` less those the results database already holds for this model."""
        if self.db is None:
            return paths
        self.hashes = content_hashes(paths)
        for p in paths:
            try:
                self.stats[p] = os.stat(p)
            except OSError:
                pass
        arrivals = {p: arrival_key(p, self.stats[p].st_size, self.stats[p].st_mtime_ns,
                                   self.hashes[p])
                    for p in paths if self.hashes[p] and p in self.stats}
        done = self.db.recorded(list(arrivals.values()) +
                                [legacy_key(p, h) for p, h in self.hashes.items() if h])
        recorded = {p for p in paths if arrivals.get(p) in done or
                    (self.hashes[p] and legacy_key(p, self.hashes[p]) in done)}
        self.skipped = [shown_name(p) for p in paths if p in recorded]
        return [p for p in paths if p not in recorded]

    def db_item(self, name: str, **fields) -> dict:
        """The results-database row of picture (or video frame) ``name``."""
        base, _, frame = name.partition('#frame')
        digest = self.hashes.get(base) or 'unhashed:' + base
        st = self.stats.get(base)
        return dict(path=name, sha256=digest + (f'#frame{frame}' if frame else ''),
                    size_bytes=st.st_size if st else None,
                    mtime_ns=st.st_mtime_ns if st else None, **fields)

    def unreadable(self, name: str, error: str) -> None:
        """Report (and record) a picture that could not be read; the run carries on."""
        self.unread.append(shown_name(name))
        self.rows.append({'image': shown_name(name), 'status': 'unreadable',
                          'defects_in_image': ''})
        if self.db is not None:
            self.db.record_batch([self.db_item(name, status='unreadable', error=error)])

    def inspect(self, pending: Sequence[Tuple[str, np.ndarray]]) -> int:
        """Detect, report, draw and record one batch; returns how many files it held."""
        imgs = [img for _, img in pending]
        tile, above, how = resolve_tiling(self.model, self.tile_size, imgs)
        self.tiling_how.add(how)
        found = detect_many(self.model, imgs, self.thresholds, tile, self.tile_overlap,
                            self.batch_size, above)
        items = []
        for (name, img), (boxes, scores, labels) in zip(pending, found):
            h, w = img.shape[:2]
            if tile and max(h, w) > above:
                self.tiled.append(shown_name(name))
            records = defect_records(boxes, scores, labels, self.classes, w, h)
            self._report(shown_name(name), w, h, records)
            items.append(self.db_item(name, width=w, height=h,
                                      status='defect' if records else 'clean',
                                      defects=[dict(r, cls=r['class']) for r in records]))
            if self.save_images:
                self._save_annotated(name, img, boxes, scores, labels)
        if self.db is not None:
            self.db.record_batch(items)  # one transaction for the batch
        return sum('#frame' not in name for name, _ in pending)

    def _report(self, shown: str, width: int, height: int, records: List[Dict]) -> None:
        self.report.append({'image': shown, 'width': width, 'height': height,
                            'defects': records})
        if not records:
            self.rows.append({'image': shown, 'status': 'clean', 'defects_in_image': 0})
        for r in records:
            self.counts[r['class']] += 1
            self.rows.append({'image': shown, 'status': 'defect',
                              'defects_in_image': len(records), 'class': r['class'],
                              'score': r['score'], 'x1': r['box'][0], 'y1': r['box'][1],
                              'x2': r['box'][2], 'y2': r['box'][3], 'area_px': r['area_px'],
                              'area_pct': r['area_pct']})

    def _save_annotated(self, name: str, img, boxes, scores, labels) -> None:
        base = shown_name(osp.basename(name)).replace('#', '_').replace('\\', '_')
        if not base.lower().endswith(IMAGE_SUFFIXES):
            base += '.jpg'
        cv2.imwrite(osp.join(self.out_dir, 'annotated', base),
                    draw(img, boxes, scores, labels, self.classes, self.palette))

    def write(self, source: str) -> Dict:
        """Write ``report.json``, ``report.csv`` and ``summary.json``; return the summary."""
        defective = sum(1 for r in self.report if r['defects'])
        model = self.model
        summary = {
            'images_total': len(self.report) + len(self.unread),
            'images_read': len(self.report), 'images_defective': defective,
            'images_clean': len(self.report) - defective,
            'defects_total': sum(self.counts.values()), 'counts_per_class': self.counts,
            'unreadable': self.unread, 'score_thr': as_record(self.thresholds, self.classes),
            'score_thr_source': source, 'tile_size': self.tile_size,
            'tile_overlap': self.tile_overlap,
            # one sentence for the run: how tiled pictures were cut, if any was
            'tiling': min(self.tiling_how, key=lambda h: ('cut into' not in h or not self.tiled,
                                                          h), default=''),
            'tiled_images': self.tiled,
            'skipped_recorded': self.skipped,  # already in the results database
            # which runtime and precision produced the report (never implied)
            'runtime': (model.describe() if hasattr(model, 'describe')
                        else f'pytorch, precision f32, {next(model.parameters()).device}')}
        with open(osp.join(self.out_dir, 'report.json'), 'w') as f:
            json.dump(self.report, f, indent=1)
        with open(osp.join(self.out_dir, 'report.csv'), 'w', newline='') as f:
            writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
            writer.writeheader()
            writer.writerows(self.rows)
        with open(osp.join(self.out_dir, 'summary.json'), 'w') as f:
            json.dump(summary, f, indent=1)
        return summary
