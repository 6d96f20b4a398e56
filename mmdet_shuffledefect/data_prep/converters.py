"""Bring your own data: YOLO txt and COCO json -> NEU-DET layout.

Both converters write ``OUT/IMAGES/*`` (copies) and ``OUT/ANNOTATIONS/*.xml``
(VOC, 1-based inclusive corners, as NEU-DET), so a plant's own images train
with the same configs. Problems are reported, never silently fixed or lost:

* file names with spaces: copied with ``_`` instead of each space;
* images without labels: kept as defect-free images;
* labels without images: skipped;
* byte-identical images under two names: both kept (the split tool keeps them
  in one split) and reported;
* out-of-range values (unknown class id, coordinates outside the image, a
  malformed line, an empty box): that object is skipped; a picture whose every box was
  skipped is written as defect-free and reported so (``all_boxes_rejected``);
* picture suffixes in any case (``a.Jpg``): written lower-case (the datasets look for
  ``.jpg``/``.JPG``), reported; TIFF pictures are written as PNG (the datasets read no
  TIFF), reported;
* two pictures with one stem (``a.jpg`` and ``a.png``): which one ``a.txt`` labels is
  unknown, so both are refused by name (``shared_stem``);
* COCO: an image id given twice, or an image or category without its ``id`` /
  ``file_name`` / ``name``: the whole file is refused with one line naming it.

Box convention: a continuous pixel box ``[x1, x2)`` becomes VOC
``xmin = round(x1) + 1``, ``xmax = round(x2)``, the inverse of the usual
VOC -> YOLO/COCO conversion, so NEU-DET -> YOLO -> NEU-DET is lossless.

Example:
    >>> report = yolo_to_neu('my/images', 'my/labels', ['scale', 'hole'], 'data/MY')  # doctest: +SKIP
    >>> report['converted'], report['problems'][:1]                                # doctest: +SKIP
"""
import hashlib
import json
import os
import os.path as osp
import shutil
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

from PIL import Image, UnidentifiedImageError

from .voc_xml import write_voc_xml

#: picture suffixes the converters read, in any case; TIFF is written as PNG
READ_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')
#: the suffixes written as PNG (the datasets read no TIFF)
TIFF_SUFFIXES = ('.tif', '.tiff')

Obj = Tuple[str, Tuple[int, int, int, int], int]


class ConversionReport:
    """Collects converted images and problems; written as ``conversion_report.json``."""

    def __init__(self) -> None:
        self.converted: List[str] = []
        self.problems: List[Dict[str, str]] = []

    def problem(self, kind: str, item: str, detail: str) -> None:
        self.problems.append(dict(kind=kind, item=item, detail=detail))

    def as_dict(self) -> dict:
        kinds = defaultdict(int)
        for p in self.problems:
            kinds[p['kind']] += 1
        return dict(converted=len(self.converted), images=self.converted,
                    problem_counts=dict(kinds), problems=self.problems)


def _safe_stem(name: str, report: ConversionReport) -> str:
    stem = osp.splitext(name)[0]
    if ' ' in stem:
        new = stem.replace(' ', '_')
        report.problem('space_in_name', name, f'written as {new}')
        return new
    return stem


def _voc_box(x1: float, y1: float, x2: float, y2: float, w: int, h: int
             ) -> Optional[Tuple[int, int, int, int]]:
    xmin, ymin, xmax, ymax = round(x1) + 1, round(y1) + 1, round(x2), round(y2)
    if xmin < 1 or ymin < 1 or xmax > w or ymax > h or xmax <= xmin or ymax <= ymin:
        return None
    return xmin, ymin, xmax, ymax


def _out_suffix(src_img: str, report: ConversionReport) -> str:
    """The suffix a picture is written with: lower-case, ``.png`` for TIFF (reported)."""
    ext = osp.splitext(src_img)[1]
    if ext.lower() in TIFF_SUFFIXES:
        report.problem('converted_format', src_img, 'TIFF written as PNG (the datasets read '
                       '.jpg/.jpeg/.png/.bmp)')
        return '.png'
    if ext != ext.lower():
        report.problem('suffix_case', src_img, f'written with the suffix {ext.lower()}')
    return ext.lower()


def list_pictures(img_dir: str, report: ConversionReport) -> Dict[str, str]:
    """stem -> picture path for every picture of ``img_dir`` (suffixes in any case); stems
    shared by two pictures are refused by name (which one a label belongs to is unknown)."""
    by_stem: Dict[str, List[str]] = defaultdict(list)
    for name in sorted(os.listdir(img_dir)):
        if osp.splitext(name)[1].lower() in READ_SUFFIXES:
            by_stem[osp.splitext(name)[0]].append(name)
    images = {}
    for stem, names in by_stem.items():
        if len(names) > 1:
            report.problem('shared_stem', ', '.join(osp.join(img_dir, n) for n in names),
                           f'{len(names)} pictures share the name {stem!r}, so which one its '
                           'labels belong to is unknown; none converted (rename them)')
            continue
        images[stem] = osp.join(img_dir, names[0])
    return images


def _write(out_dir: str, src_img: str, stem: str, size: Tuple[int, int], objects: List[Obj],
           digests: Dict[str, str], report: ConversionReport) -> None:
    ext = _out_suffix(src_img, report)
    dst = osp.join(out_dir, 'IMAGES', stem + ext)
    if osp.exists(dst) or osp.exists(osp.join(out_dir, 'ANNOTATIONS', stem + '.xml')):
        report.problem('name_clash', src_img, f'{stem} already written; skipped')
        return
    with open(src_img, 'rb') as f:
        digest = hashlib.md5(f.read()).hexdigest()
    if digest in digests:
        report.problem('identical_image', src_img,
                       f'byte-identical to {digests[digest]}; both kept (same split)')
    digests.setdefault(digest, src_img)
    if osp.splitext(src_img)[1].lower() in TIFF_SUFFIXES:
        with Image.open(src_img) as im:
            im.save(dst)
    else:
        shutil.copyfile(src_img, dst)
    write_voc_xml(osp.join(out_dir, 'ANNOTATIONS', stem + '.xml'), stem + ext, size[0],
                  size[1], objects)
    report.converted.append(stem)


def _image_size(path: str, report: ConversionReport) -> Optional[Tuple[int, int]]:
    try:
        with Image.open(path) as im:
            return im.size
    except (UnidentifiedImageError, OSError) as err:
        report.problem('unreadable_image', path, str(err))
        return None


def _finish(out_dir: str, report: ConversionReport) -> dict:
    result = report.as_dict()
    with open(osp.join(out_dir, 'conversion_report.json'), 'w') as f:
        json.dump(result, f, indent=1)
    return result


def print_report(report: dict, out_dir: str) -> None:
    """Print every problem and a one-line summary of a conversion report."""
    for p in report['problems']:
        print(f"{p['kind']}: {p['item']}: {p['detail']}")
    print(f"converted {report['converted']} images; problems: "
          f"{json.dumps(report['problem_counts'])}; report in "
          f"{osp.join(out_dir, 'conversion_report.json')}")


def _yolo_object(line: str, where: str, class_names: Sequence[str], w: int, h: int,
                 report: ConversionReport) -> Optional[Obj]:
    """One YOLO label line as an object, or None with the problem reported."""
    parts = line.split()
    try:
        cls_id = int(parts[0])
        cx, cy, bw, bh = (float(v) for v in parts[1:5])
        if len(parts) != 5:
            raise ValueError
    except (ValueError, IndexError):
        report.problem('malformed_line', where, f'{line!r} is not "cls cx cy w h"')
        return None
    if not 0 <= cls_id < len(class_names):
        report.problem('out_of_range', where,
                       f'class id {cls_id} not in 0..{len(class_names) - 1}')
        return None
    if not all(0 <= v <= 1 for v in (cx, cy, bw, bh)):
        report.problem('out_of_range', where, f'normalized values must lie in [0, 1]: {line!r}')
        return None
    box = _voc_box((cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w,
                   (cy + bh / 2) * h, w, h)
    if box is None:
        report.problem('out_of_range', where, f'box {line!r} leaves the {w}x{h} image or is '
                       'empty')
        return None
    return class_names[cls_id], box, 0


def _yolo_objects(img_path: str, label_path: Optional[str], class_names: Sequence[str],
                  size: Tuple[int, int], report: ConversionReport) -> List[Obj]:
    """The objects of one picture's label file (none, reported, where it has none)."""
    if label_path is None:
        report.problem('image_without_label', img_path, 'kept as a defect-free image')
        return []
    with open(label_path) as f:
        lines = [line for line in f.read().splitlines() if line.strip()]
    objects = [obj for n, line in enumerate(lines, 1)
               for obj in [_yolo_object(line, f'{label_path}:{n}', class_names, *size, report)]
               if obj is not None]
    if lines and not objects:
        report.problem('all_boxes_rejected', img_path, f'every box of {label_path} '
                       'was rejected (above); written as a defect-free image')
    return objects


def _make_out_dirs(out_dir: str) -> None:
    os.makedirs(osp.join(out_dir, 'IMAGES'), exist_ok=True)
    os.makedirs(osp.join(out_dir, 'ANNOTATIONS'), exist_ok=True)


def yolo_to_neu(img_dir: str, label_dir: str, class_names: Sequence[str],
                out_dir: str) -> dict:
    """Convert YOLO txt labels (``cls cx cy w h``, normalized) to NEU-DET layout.

    Args:
        img_dir (str): Folder of images.
        label_dir (str): Folder of ``<stem>.txt`` label files.
        class_names (Sequence[str]): Class name of each YOLO class id.
        out_dir (str): Output root (``IMAGES/``, ``ANNOTATIONS/``).

    Returns:
        dict: The conversion report (also in ``conversion_report.json``).
    """
    for d in (img_dir, label_dir):
        if not osp.isdir(d):
            raise FileNotFoundError(f'{d} is not a folder')
    if not class_names:
        raise ValueError('class_names is empty: give the name of every YOLO class id')
    _make_out_dirs(out_dir)
    report, digests = ConversionReport(), {}
    images = list_pictures(img_dir, report)
    labels = {osp.splitext(f)[0]: osp.join(label_dir, f) for f in sorted(os.listdir(label_dir))
              if f.endswith('.txt')}
    for stem in sorted(set(labels) - set(images)):
        report.problem('label_without_image', labels[stem], 'no image with this name; skipped')
    for stem, img_path in images.items():
        size = _image_size(img_path, report)
        if size is None:
            continue
        objects = _yolo_objects(img_path, labels.get(stem), class_names, size, report)
        _write(out_dir, img_path, _safe_stem(osp.basename(img_path), report), size, objects,
               digests, report)
    return _finish(out_dir, report)


def _need(item, keys: Sequence[str], where: str, json_path: str) -> None:
    """Refuse a COCO entry that is not a mapping with ``keys``, naming the first missing."""
    if not isinstance(item, dict):
        raise ValueError(f'{json_path}: {where} is not an object')
    for key in keys:
        if key not in item:
            raise ValueError(f'{json_path}: {where} has no "{key}"')


def _load_coco(json_path: str) -> dict:
    """The COCO file's dict, refused by name where it is not one."""
    if not osp.isfile(json_path):
        raise FileNotFoundError(f'COCO annotation file {json_path} does not exist')
    try:
        with open(json_path) as f:
            coco = json.load(f)
    except json.JSONDecodeError as err:
        raise ValueError(f'{json_path} is not valid JSON: {err}') from None
    if not isinstance(coco, dict):
        raise ValueError(f'{json_path} is not a JSON object: not a COCO detection file')
    for key in ('images', 'annotations', 'categories'):
        if key not in coco:
            raise ValueError(f'{json_path} has no "{key}" list: not a COCO detection file')
    return coco


def _coco_index(coco: dict, json_path: str, report: ConversionReport
                ) -> Tuple[Dict, Dict, Dict[object, list]]:
    """Categories (id -> name), images (id -> entry) and annotations per image id;
    annotations of unknown images reported."""
    cats = {}
    for i, cat in enumerate(coco['categories']):
        _need(cat, ('id', 'name'), f'categories[{i}]', json_path)
        cats[cat['id']] = cat['name']
    images = {}
    for i, im in enumerate(coco['images']):
        _need(im, ('id', 'file_name'), f'images[{i}]', json_path)
        if im['id'] in images:
            raise ValueError(f"{json_path}: image id {im['id']!r} is given twice "
                             f"({images[im['id']]['file_name']} and {im['file_name']}); "
                             'COCO image ids must be unique')
        images[im['id']] = im
    anns = defaultdict(list)
    for ann in coco['annotations']:
        if ann.get('image_id') not in images:
            report.problem('label_without_image', f'annotation {ann.get("id")}',
                           f'image_id {ann.get("image_id")} is not in "images"; skipped')
            continue
        anns[ann['image_id']].append(ann)
    return cats, images, anns


def _coco_object(ann: dict, file_name: str, cats: Dict, w: int, h: int,
                 report: ConversionReport) -> Optional[Obj]:
    """One COCO annotation as an object, or None with the problem reported."""
    where = f'annotation {ann.get("id")} of {file_name}'
    if ann.get('category_id') not in cats:
        report.problem('out_of_range', where,
                       f'category_id {ann.get("category_id")} not in categories')
        return None
    try:
        x, y, bw, bh = (float(v) for v in ann['bbox'])
    except (KeyError, TypeError, ValueError):
        report.problem('malformed_line', where, f'bbox {ann.get("bbox")!r} is not x,y,w,h')
        return None
    box = _voc_box(x, y, x + bw, y + bh, w, h)
    if box is None:
        report.problem('out_of_range', where,
                       f'bbox {ann["bbox"]} leaves the {w}x{h} image or is empty')
        return None
    return cats[ann['category_id']], box, int(ann.get('iscrowd', 0))


def coco_to_neu(json_path: str, img_dir: str, out_dir: str) -> dict:
    """Convert a COCO detection json (``bbox`` = x, y, w, h in px) to NEU-DET layout.

    Returns:
        dict: The conversion report (also in ``conversion_report.json``).

    Raises:
        FileNotFoundError: No such file.
        ValueError: Not JSON, no images/annotations/categories lists, an image id given
            twice, or an entry without its id / file_name / name (named in the message).
    """
    coco = _load_coco(json_path)
    _make_out_dirs(out_dir)
    report, digests = ConversionReport(), {}
    cats, images, anns = _coco_index(coco, json_path, report)
    for im_id, im in sorted(images.items(), key=lambda kv: kv[1]['file_name']):
        path = osp.join(img_dir, im['file_name'])
        if not osp.isfile(path):
            report.problem('label_without_image', path, 'listed in the json, not on disk; skipped')
            continue
        size = _image_size(path, report)
        if size is None:
            continue
        if not anns[im_id]:
            report.problem('image_without_label', path, 'kept as a defect-free image')
        objects = [obj for ann in anns[im_id]
                   for obj in [_coco_object(ann, im['file_name'], cats, *size, report)]
                   if obj is not None]
        if anns[im_id] and not objects:
            report.problem('all_boxes_rejected', path, 'every annotation of it was rejected '
                           '(above); written as a defect-free image')
        _write(out_dir, path, _safe_stem(osp.basename(path), report), size, objects, digests,
               report)
    return _finish(out_dir, report)
