"""Deterministic, stratified train/val/test splits for NEU-DET and NEU-CLS.

* Stratified by the file-name class (``crazing_17`` -> ``crazing``) for NEU's
  own naming, otherwise by the labels: each image's majority class from its
  annotation (images without boxes form their own stratum).
* Byte-identical images (NEU-DET's ``patches_101``/``patches_105``) always
  land in the same split, so a picture never leaks from train into test.
* The NEU-CLS split is the NEU-DET split mapped by (class, index):
  ``crazing_17`` <-> ``Cr_17``; the two sets hold the same 1800 pictures.

Example:
    >>> from mmdet_shuffledefect.data_prep.splits import split_names
    >>> parts = split_names(['a_1', 'a_2', 'a_3', 'a_4', 'a_5'], seed=0)
    >>> sorted(len(v) for v in parts.values())
    [0, 1, 4]
"""
import hashlib
import os
import os.path as osp
import random
from collections import defaultdict
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from mmdet_shuffledefect.datasets.neu_classes import (NEU_CLS_PREFIXES, PREFIX_TO_CLASS, DataError,
                                                      file_class)
from mmdet_shuffledefect.datasets.neu_det import IMAGE_EXTENSIONS, find_image

SPLITS = ('train', 'val', 'test')


def _md5(path: str) -> str:
    with open(path, 'rb') as f:
        return hashlib.md5(f.read()).hexdigest()


def grouped_units(names: Sequence[str], groups: Optional[Dict[str, str]] = None,
                  strata: Optional[Dict[str, str]] = None) -> Dict[str, Dict[str, List[str]]]:
    """``{stratum: {group key: sorted stems}}``: the units a split or a fold keeps together.

    A stem without a group is its own group; a group belongs to the stratum of its
    first stem (default stratum: the file-name class, NEU's naming).

    Raises:
        ValueError: ``names`` contain duplicates.
    """
    if len(set(names)) != len(names):
        raise ValueError('names contain duplicates')
    groups = groups or {}
    stratum = (lambda n: strata[n]) if strata is not None else file_class
    members: Dict[str, List[str]] = defaultdict(list)
    for name in sorted(names):
        members[groups.get(name, name)].append(name)
    by_stratum: Dict[str, Dict[str, List[str]]] = defaultdict(dict)
    for key, unit in members.items():
        by_stratum[stratum(unit[0])][key] = unit
    return by_stratum


def split_names(names: Sequence[str],
                ratios: Sequence[float] = (0.7, 0.1, 0.2),
                seed: int = 0,
                groups: Optional[Dict[str, str]] = None,
                strata: Optional[Dict[str, str]] = None) -> Dict[str, List[str]]:
    """Split ``names`` into train/val/test, stratified.

    Args:
        names (Sequence[str]): Image stems.
        ratios (Sequence[float]): train, val, test shares (sum 1).
            Defaults to (0.7, 0.1, 0.2).
        seed (int): Shuffling seed. Defaults to 0.
        groups (dict, optional): stem -> group key (e.g. the image's md5);
            stems sharing a key are kept in one split, in the stratum of the
            group's first stem. Defaults to None.
        strata (dict, optional): stem -> stratum (e.g. the majority class of
            its boxes, :func:`label_strata`). Defaults to None: the file-name
            class (``crazing_17`` -> ``crazing``), NEU's own naming.

    Returns:
        dict: ``{'train': [...], 'val': [...], 'test': [...]}``, each sorted.
    """
    if len(ratios) != 3 or any(r < 0 for r in ratios) or abs(sum(ratios) - 1) > 1e-6:
        raise ValueError(f'ratios must be three non-negative shares summing to 1, got {ratios}')
    by_class = grouped_units(names, groups, strata)
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


def nested_subsets(names: Sequence[str], fractions: Sequence[float], seed: int = 0,
                   strata: Optional[Dict[str, str]] = None) -> Dict[float, List[str]]:
    """Nested, stratified subsets of a split (e.g. 25 % and 50 % of the training images).

    Each stratum is shuffled once with ``seed`` and every subset takes the first
    ``round(fraction x stratum size)`` of it, so a smaller subset is always inside a
    larger one and every stratum keeps its share.

    Args:
        names (Sequence[str]): The split's image stems.
        fractions (Sequence[float]): Shares in (0, 1].
        seed (int): Shuffling seed. Defaults to 0.
        strata (dict, optional): stem -> stratum; default the file-name class
            (NEU's naming, ``crazing_17`` -> ``crazing``).

    Returns:
        dict: fraction -> sorted stems.

    Raises:
        ValueError: A fraction outside (0, 1], duplicate names, or a stem without
            a stratum.

    Example:
        >>> names = [f'crazing_{i}' for i in range(8)] + [f'patches_{i}' for i in range(4)]
        >>> subsets = nested_subsets(names, [0.25, 0.5])
        >>> len(subsets[0.25]), len(subsets[0.5]), set(subsets[0.25]) <= set(subsets[0.5])
        (3, 6, True)
    """
    bad = [f for f in fractions if not 0.0 < f <= 1.0]
    if bad:
        raise ValueError(f'fractions must be in (0, 1], got {bad}')
    if len(set(names)) != len(names):
        raise ValueError('names contain duplicates')
    missing = [n for n in names if strata is not None and n not in strata]
    if missing:
        raise ValueError(f'{len(missing)} name(s) without a stratum, e.g. {missing[:3]}')
    stratum = (lambda n: strata[n]) if strata is not None else file_class
    members: Dict[str, List[str]] = defaultdict(list)
    for name in sorted(names):
        members[stratum(name)].append(name)
    rng = random.Random(seed)
    orders = {}
    for key in sorted(members):
        order = list(members[key])
        rng.shuffle(order)
        orders[key] = order
    return {f: sorted(n for order in orders.values() for n in order[:round(f * len(order))])
            for f in fractions}


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


#: Stratum of an image without boxes in :func:`label_strata`.
NO_BOXES = '(no boxes)'
#: File-name classes of NEU's own naming (plus the synthetic sample's negatives).
NEU_NAMING_CLASSES = tuple(NEU_CLS_PREFIXES) + ('clean', )


def uses_neu_naming(stems: Iterable[str]) -> bool:
    """Whether every stem is ``<NEU class>_<index>`` (``crazing_17``, ``clean_3``).

    Example:
        >>> uses_neu_naming(['crazing_1', 'rolled-in_scale_12']), uses_neu_naming(['dents12'])
        (True, False)
    """
    for stem in stems:
        cls, _, index = stem.rpartition('_')
        if cls not in NEU_NAMING_CLASSES or not index.isdigit():
            return False
    return True


def label_strata(ann_dir: str, stems: Iterable[str]) -> Dict[str, str]:
    """stem -> the majority class of its annotation's boxes (ties: alphabetical first).

    Images without boxes form their own stratum, :data:`NO_BOXES`.

    Raises:
        DataError: An annotation is missing or not well-formed XML (named).
    """
    import xml.etree.ElementTree as ET
    from collections import Counter

    strata = {}
    for stem in stems:
        path = osp.join(ann_dir, stem + '.xml')
        try:
            root = ET.parse(path).getroot()
        except (ET.ParseError, OSError) as err:
            raise DataError(f'annotation {path} cannot be read: {err}') from None
        names = Counter((obj.findtext('name') or '').strip() for obj in root.findall('object'))
        names.pop('', None)
        strata[stem] = (sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
                        if names else NO_BOXES)
    return strata


def dataset_strata(det_root: str, stems: Sequence[str]) -> Dict[str, str]:
    """How :func:`make_splits_for_dir` stratifies: the file-name class for NEU's own
    naming, else the majority class of each image's boxes (:func:`label_strata`)."""
    if uses_neu_naming(stems):
        return {s: file_class(s) for s in stems}
    return label_strata(osp.join(det_root, 'ANNOTATIONS'), stems)


def split_table(parts: Dict[str, List[str]], strata: Dict[str, str],
                ratios: Sequence[float] = (0.7, 0.1, 0.2)) -> Tuple[str, List[str]]:
    """Images per stratum and split as text, and a warning per stratum that has no
    val or no test image (while its ratio is above 0).

    Example:
        >>> text, warns = split_table({'train': ['a', 'b'], 'val': [], 'test': ['c']},
        ...                           {'a': 'x', 'b': 'y', 'c': 'x'})
        >>> warns[0]
        "class 'x' has no val image: its val metrics will be missing"
    """
    classes = sorted(set(strata.values()))
    lines = [f"{'class':<20}" + ''.join(f'{s:>8}' for s in SPLITS)]
    warnings_: List[str] = []
    for cls in classes:
        counts = [sum(strata[n] == cls for n in parts.get(s, [])) for s in SPLITS]
        lines.append(f'{cls:<20}' + ''.join(f'{c:>8}' for c in counts))
        for split, count, ratio in zip(SPLITS[1:], counts[1:], ratios[1:]):
            if count == 0 and ratio > 0:
                warnings_.append(f'class {cls!r} has no {split} image: its {split} metrics '
                                 'will be missing')
    lines.append(f"{'total':<20}" + ''.join(f'{len(parts.get(s, [])):>8}' for s in SPLITS))
    return '\n'.join(lines), warnings_


def make_splits_for_dir(det_root: str,
                        out_dir: str,
                        seed: int = 0,
                        ratios: Sequence[float] = (0.7, 0.1, 0.2),
                        cls_out_dir: Optional[str] = None,
                        header: str = '') -> Dict[str, List[str]]:
    """Split a NEU-DET-layout folder (``IMAGES/`` + ``ANNOTATIONS/``).

    Stratified by :func:`dataset_strata` (file-name class for NEU's own
    naming, else the majority class of each image's boxes); byte-identical
    images are kept in one split. Writes the split files to ``out_dir``, and the
    mapped NEU-CLS split to ``cls_out_dir`` when given (stems of unknown
    classes, e.g. synthetic ``clean_*`` negatives, have no NEU-CLS twin and are
    left out there).

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
    parts = split_names(stems, ratios, seed, image_groups(img_dir, stems),
                        dataset_strata(det_root, stems))
    write_split_files(parts, out_dir, header)
    if cls_out_dir:
        cls_parts = {k: sorted(det_to_cls_name(s) for s in v if file_class(s) in NEU_CLS_PREFIXES)
                     for k, v in parts.items()}
        write_split_files(cls_parts, cls_out_dir, header)
    return parts


__all__ = ['IMAGE_EXTENSIONS', 'NO_BOXES', 'SPLITS', 'cls_to_det_name', 'dataset_strata',
           'det_to_cls_name', 'image_groups', 'label_strata', 'make_splits_for_dir',
           'split_names', 'split_table', 'uses_neu_naming', 'write_split_files']
