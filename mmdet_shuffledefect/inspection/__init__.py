"""The inspection app: pictures in, defects out, every picture recorded.

- :mod:`.sources` - the pictures and videos to inspect, read whatever their names.
- :mod:`.picture_files` - one picture file read safely (size from its header first).
- :mod:`.tiling` - pictures larger than the model input cut into tiles and merged again.
- :mod:`.predict` - the model with its checkpoint's classes and thresholds; detections.
- :mod:`.drawing` - annotated pictures.
- :mod:`.batch` - a folder inspected into JSON/CSV reports (``tools/inspect_defects.py``).
- :mod:`.results_db`, :mod:`.db_dialects` - the results database (SQLite or PostgreSQL),
  :mod:`.db_schema` (its tables and their migration), :mod:`.db_checks` (read-only checks).
- :mod:`.station` - the station that watches a camera folder (``tools/inspection_station.py``),
  :mod:`.folder_watcher` (which pictures are complete), :mod:`.station_lock` (one per folder),
  :mod:`.pending_batch` (a batch the database refused, kept and retried), :mod:`.heap_trim`.
- :mod:`.report_page` - the shift's HTML page (``tools/inspection_report.py``), its style
  and script in ``report_page.css`` / ``report_page.js`` beside it, :mod:`.report_plot` (its
  plot over time).
- :mod:`.cli` - what the inspection tools share (backend, thresholds, database flags).

:mod:`mmdet_shuffledefect.apis` keeps the public entry points.
"""
from .batch import CSV_FIELDS, REPORT_OUTPUTS, inspect_paths, prepare_out_dir
from .drawing import draw, place_labels
from .predict import (defect_records, detect, detect_many, init_inspection_model,
                      model_thresholds, predict_batch)
from .sources import IMAGE_SUFFIXES, VIDEO_SUFFIXES, list_inputs, read_inputs
from .tiling import AUTO_TILE_FACTOR, merge_across_tiles, resolve_tiling, tile_origins

__all__ = [
    'AUTO_TILE_FACTOR', 'CSV_FIELDS', 'IMAGE_SUFFIXES', 'REPORT_OUTPUTS', 'VIDEO_SUFFIXES',
    'defect_records', 'detect', 'detect_many', 'draw', 'init_inspection_model', 'inspect_paths',
    'list_inputs', 'merge_across_tiles', 'model_thresholds', 'place_labels', 'predict_batch',
    'prepare_out_dir', 'read_inputs', 'resolve_tiling', 'tile_origins'
]
