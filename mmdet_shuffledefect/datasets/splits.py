"""Deterministic, stratified train/val/test splits for NEU-DET and NEU-CLS.

* Stratified by the file-name class (``crazing_17`` -> ``crazing``).
* Byte-identical images (NEU-DET's ``patches_101``/``patches_105``) always
  land in the same split, so a picture never leaks from train into test.
* The NEU-CLS split is the NEU-DET split mapped by (class, index):
  ``crazing_17`` <-> ``Cr_17``; the two sets hold the same 1800 pictures.

Example:
    >>> from mmdet_shuffledefect.datasets.splits import split_names
    >>> parts = split_names(['a_1', 'a_2', 'a_3', 'a_4', 'a_5'], seed=0)
    >>> sorted(len(v) for v in parts.values())
    [0, 1, 4]
"""
import hashlib
import os
import os.path as osp
import random
from collections import defaultdict
from typing import Dict, Iterable, List, Optional, Sequence

from .neu_classes import NEU_CLS_PREFIXES, PREFIX_TO_CLASS, file_class
from .neu_det import IMAGE_EXTENSIONS, find_image

SPLITS = ('train', 'val', 'test')


def _md5(path: str) -> str:
    with open(path, 'rb') as f:
        return hashlib.md5(f.read()).hexdigest()


def split_names(names: Sequence[str],
                ratios: Sequence[float] = (0.7, 0.1, 0.2),
                seed: int = 0,
                groups: Optional[Dict[str, str]] = None) -> Dict[str, List[str]]:
    """Split ``names`` into train/val/test, stratified by file-name class.

    Args:
        names (Sequence[str]): Image stems.
        ratios (Sequence[float]): train, val, test shares (sum 1).
            Defaults to (0.7, 0.1, 0.2).
        seed (int): Shuffling seed. Defaults to 0.
        groups (dict, optional): stem -> group key (e.g. the image's md5);
            stems sharing a key are kept in one split. Defaults to None.

    Returns:
        dict: ``{'train': [...], 'val': [...], 'test': [...]}``, each sorted.
    """
    if len(ratios) != 3 or any(r < 0 for r in ratios) or abs(sum(ratios) - 1) > 1e-6:
        raise ValueError(f'ratios must be three non-negative shares summing to 1, got {ratios}')
    if len(set(names)) != len(names):
        raise ValueError('names contain duplicates')
    groups = groups or {}
    by_class: Dict[str, Dict[str, List[str]]] = defaultdict(lambda: defaultdict(list))
    for name in sorted(names):
        by_class[file_class(name)][groups.get(name, name)].append(name)
    rng = random.Random(seed)
    out: Dict[str, List[str]] = {s: [] for s in SPLITS}
    for cls in sorted(by_class):
        units = [by_class[cls][k] for k in sorted(by_class[cls])]
        rng.shuffle(units)
        total = sum(len(u) for u in units)
        n_test = round(total * ratios[2])
        n_val = round(total * ratios[1])
        filled = {'test': 0, 'val': 0}
        for unit in units:
            if filled['test'] < n_test:
                target = 'test'
            elif filled['val'] < n_val:
                target = 'val'
            else:
                target = 'train'
            if target in filled:
                filled[target] += len(unit)
            out[target] += unit
    return {k: sorted(v) for k, v in out.items()}


def image_groups(img_dir: str, stems: Iterable[str]) -> Dict[str, str]:
    """stem -> md5 of its image file (byte-identical images share a key)."""
    groups = {}
    for stem in stems:
        path = find_image(img_dir, stem)
        if path is None:
            raise FileNotFoundError(f'no image for {stem} in {img_dir}')
        groups[stem] = _md5(path)
    return groups


def det_to_cls_name(stem: str) -> str:
    """Map a NEU-DET stem to its NEU-CLS stem: ``crazing_17`` -> ``Cr_17``."""
    cls, _, index = stem.rpartition('_')
    if cls not in NEU_CLS_PREFIXES:
        raise ValueError(f'{stem!r} is not a NEU-DET image name (class {cls!r} unknown)')
    return f'{NEU_CLS_PREFIXES[cls]}_{index}'


def cls_to_det_name(stem: str) -> str:
    """Map a NEU-CLS stem to its NEU-DET stem: ``Cr_17`` -> ``crazing_17``."""
    prefix, _, index = stem.rpartition('_')
    if prefix not in PREFIX_TO_CLASS:
        raise ValueError(f'{stem!r} is not a NEU-CLS image name (prefix {prefix!r} unknown)')
    return f'{PREFIX_TO_CLASS[prefix]}_{index}'


def write_split_files(parts: Dict[str, List[str]], out_dir: str, header: str = '') -> None:
    """Write ``train.txt``/``val.txt``/``test.txt`` (names only) into ``out_dir``."""
    os.makedirs(out_dir, exist_ok=True)
    for split, names in parts.items():
        with open(osp.join(out_dir, f'{split}.txt'), 'w') as f:
            if header:
                f.write(''.join(f'# {line}\n' for line in header.splitlines()))
            f.write(''.join(n + '\n' for n in names))


def make_splits_for_dir(det_root: str,
                        out_dir: str,
                        seed: int = 0,
                        ratios: Sequence[float] = (0.7, 0.1, 0.2),
                        cls_out_dir: Optional[str] = None,
                        header: str = '') -> Dict[str, List[str]]:
    """Split a NEU-DET-layout folder (``IMAGES/`` + ``ANNOTATIONS/``).

    Writes the split files to ``out_dir``, and the mapped NEU-CLS split to
    ``cls_out_dir`` when given (stems of unknown classes, e.g. synthetic
    ``clean_*`` negatives, have no NEU-CLS twin and are left out there).

    Returns:
        dict: The NEU-DET split.
    """
    ann_dir, img_dir = osp.join(det_root, 'ANNOTATIONS'), osp.join(det_root, 'IMAGES')
    if not osp.isdir(ann_dir):
        raise FileNotFoundError(f'{ann_dir} does not exist: expected a NEU-DET layout '
                                '(IMAGES/ and ANNOTATIONS/)')
    stems = sorted(osp.splitext(f)[0] for f in os.listdir(ann_dir) if f.endswith('.xml'))
    if not stems:
        raise ValueError(f'no .xml annotation in {ann_dir}')
    parts = split_names(stems, ratios, seed, image_groups(img_dir, stems))
    write_split_files(parts, out_dir, header)
    if cls_out_dir:
        cls_parts = {k: sorted(det_to_cls_name(s) for s in v if file_class(s) in NEU_CLS_PREFIXES)
                     for k, v in parts.items()}
        write_split_files(cls_parts, cls_out_dir, header)
    return parts


__all__ = ['IMAGE_EXTENSIONS', 'SPLITS', 'cls_to_det_name', 'det_to_cls_name',
           'image_groups', 'make_splits_for_dir', 'split_names', 'write_split_files']
