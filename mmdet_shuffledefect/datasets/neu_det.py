"""NEU-DET detection dataset for mmdet."""
import os
import os.path as osp
import warnings
import xml.etree.ElementTree as ET
from typing import List, Optional, Tuple

from mmdet.datasets import BaseDetDataset
from mmdet.registry import DATASETS
from PIL import Image, UnidentifiedImageError

from .neu_classes import NEU_CLASSES, NEU_PALETTE, DataError

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.JPG', '.JPEG', '.PNG', '.BMP')
#: The picture files the inspection tools and the benchmarks read (names compared in lower case).
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')


def read_split_file(path: str) -> List[str]:
    """Read a split file: one image name per line (extension optional).

    Blank lines and lines starting with ``#`` are skipped.

    Example:
        >>> read_split_file('splits/train.txt')  # doctest: +SKIP
        ['crazing_1', 'crazing_10', ...]
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'split file {path} does not exist')
    names = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                names.append(osp.splitext(line)[0] if line.endswith(IMAGE_EXTENSIONS + ('.xml', ))
                             else line)
    return names


def find_image(img_dir: str, stem: str) -> Optional[str]:
    """The image file of ``stem`` in ``img_dir`` with any common extension."""
    for ext in IMAGE_EXTENSIONS:
        path = osp.join(img_dir, stem + ext)
        if osp.isfile(path):
            return path
    return None


@DATASETS.register_module()
class NEUDETDataset(BaseDetDataset):
    """NEU-DET (Pascal-VOC XML) steel-surface defect detection dataset.

    Layouts: the official one (``IMAGES/`` + ``ANNOTATIONS/``) with a split
    file as ``ann_file`` (names only, one per line), or one folder pair per
    split with ``ann_file=''`` (every XML of ``data_prefix['ann']``).

    What it does with the real data's quirks:

    * The image is found by the XML file's stem, whatever ``<filename>``
      says, with any of .jpg/.jpeg/.png/.bmp.
    * Coordinates follow mmdet's VOC convention: the 1-based XML corners are
      shifted by -1 on load, and ``VOCMetric`` evaluates with legacy
      coordinates (area = (w+1)(h+1)), so mAP is computed as mmdet computes
      VOC mAP. A box outside the image is clipped with a warning; exact
      duplicate boxes (same class and corners) are dropped with one warning
      naming the file.
    * ``difficult`` boxes: excluded from evaluation (``ignore_flag=1`` in
      ``test_mode``) as in VOC, and **positives in training** (``ignore_flag
      =0``), so they are never treated as background (mmdet's dense-head
      assigners do not look at ignored boxes and would make anchors on them
      negatives).
    * Images without objects are kept (valid negatives) unless ``filter_cfg``
      asks otherwise (``filter_empty_gt``, ``min_size``, as mmdet's ``XMLDataset``).
    * An object class not in ``metainfo['classes']`` is an error naming the
      file and the class (mmdet's ``XMLDataset`` silently skips it).

    Args:
        img_check (bool): Read each image's header at load time to catch a
            missing or unreadable image early. Defaults to True.
        **kwargs: :class:`mmdet.datasets.BaseDetDataset` arguments
            (``data_root``, ``ann_file``, ``data_prefix=dict(img=..., ann=...)``,
            ``metainfo=dict(classes=...)``, ``pipeline``, ``test_mode``...).

    Example:
        >>> ds = NEUDETDataset(data_root='data/NEU-DET', ann_file='splits/val.txt',
        ...                    data_prefix=dict(img='IMAGES', ann='ANNOTATIONS'),
        ...                    test_mode=True, pipeline=[])  # doctest: +SKIP
        >>> ds[0]['instances'][0]  # doctest: +SKIP
        {'bbox': [0.0, 80.0, 116.0, 145.0], 'bbox_label': 0, 'ignore_flag': 0}
    """

    METAINFO = dict(classes=NEU_CLASSES, palette=NEU_PALETTE)

    def __init__(self, *args, img_check: bool = True, **kwargs) -> None:
        self.img_check = img_check
        kwargs.setdefault('data_prefix', dict(img='IMAGES', ann='ANNOTATIONS'))
        super().__init__(*args, **kwargs)

    def _stems(self, ann_dir: str) -> List[str]:
        if self.ann_file and osp.isfile(self.ann_file):
            return read_split_file(self.ann_file)
        if self.ann_file and not osp.isdir(self.ann_file):
            raise FileNotFoundError(f'split file {self.ann_file} does not exist')
        if not osp.isdir(ann_dir):
            raise FileNotFoundError(f'annotation folder {ann_dir} does not exist')
        return sorted(osp.splitext(f)[0] for f in os.listdir(ann_dir) if f.endswith('.xml'))

    def load_data_list(self) -> List[dict]:
        """Parse every XML selected by the split; see the class docstring."""
        classes = list(self.metainfo['classes'])
        if len(classes) == 0:
            raise DataError('metainfo classes is empty: set metainfo=dict(classes=(...))')
        img_dir = self.data_prefix.get('img', '')
        ann_dir = self.data_prefix.get('ann', '')
        data_list = []
        for stem in self._stems(ann_dir):
            xml_path = osp.join(ann_dir, stem + '.xml')
            img_path = find_image(img_dir, stem)
            if not osp.isfile(xml_path):
                raise FileNotFoundError(f'annotation {xml_path} does not exist '
                                        f'(listed in {self.ann_file or ann_dir})')
            if img_path is None:
                raise FileNotFoundError(
                    f'no image for annotation {xml_path}: expected {stem} with one of '
                    f'{", ".join(IMAGE_EXTENSIONS[:4])} in {img_dir}')
            data_list.append(self.parse_xml(xml_path, img_path, classes))
        return data_list

    def _image_size(self, img_path: str) -> Tuple[int, int]:
        try:
            with Image.open(img_path) as im:
                return im.size
        except (UnidentifiedImageError, OSError) as err:
            raise DataError(f'image {img_path} cannot be read as an image: {err}') from None

    def parse_xml(self, xml_path: str, img_path: str, classes: List[str]) -> dict:
        """Parse one VOC XML file into mmdet's data_info dict.

        Raises:
            DataError: The file is malformed (naming it and what is wrong).
        """
        try:
            return self._parse_xml(xml_path, img_path, classes)
        except DataError:
            raise
        except (ValueError, TypeError, AttributeError) as err:
            raise DataError(f'annotation {xml_path} is malformed: {type(err).__name__}: '
                            f'{err}') from None

    def _parse_xml(self, xml_path: str, img_path: str, classes: List[str]) -> dict:
        try:
            root = ET.parse(xml_path).getroot()
        except ET.ParseError as err:
            raise DataError(f'annotation {xml_path} is not well-formed XML: {err}') from None
        size = root.find('size')
        width = height = None
        if size is not None and size.find('width') is not None:
            width = int(float(size.find('width').text))
            height = int(float(size.find('height').text))
        if self.img_check or not width or not height:
            real_w, real_h = self._image_size(img_path)
            if width and (width, height) != (real_w, real_h):
                warnings.warn(f'{xml_path}: <size> says {width}x{height} but {img_path} '
                              f'is {real_w}x{real_h}; using the image size')
            width, height = real_w, real_h
        instances, seen, clipped, dropped = [], set(), 0, 0
        for obj in root.findall('object'):
            name_el = obj.find('name')
            name = name_el.text.strip() if name_el is not None and name_el.text else ''
            if name not in classes:
                raise DataError(f'{xml_path}: object class {name!r} is not in the '
                                 f'dataset classes {tuple(classes)}')
            bnd = obj.find('bndbox')
            try:
                corners = [float(bnd.find(k).text) for k in ('xmin', 'ymin', 'xmax', 'ymax')]
            except (AttributeError, TypeError, ValueError):
                raise DataError(f'{xml_path}: object {name!r} has no valid '
                                 '<bndbox> xmin/ymin/xmax/ymax') from None
            # VOC corners are 1-based; mmdet's VOC convention subtracts 1.
            box = [int(v) - 1 for v in corners]
            fixed = [min(max(box[0], 0), width - 1), min(max(box[1], 0), height - 1),
                     min(max(box[2], 0), width - 1), min(max(box[3], 0), height - 1)]
            if fixed != box:
                clipped += 1
                box = fixed
            if box[2] <= box[0] or box[3] <= box[1]:
                warnings.warn(f'{xml_path}: {name} box {corners} is empty inside the '
                              f'{width}x{height} image; dropped')
                continue
            key = (name, tuple(box))
            if key in seen:
                dropped += 1
                continue
            seen.add(key)
            diff_el = obj.find('difficult')
            difficult = int(diff_el.text) if diff_el is not None and diff_el.text else 0
            instances.append(dict(
                bbox=[float(v) for v in box],
                bbox_label=classes.index(name),
                ignore_flag=int(bool(difficult) and self.test_mode)))
        if clipped:
            warnings.warn(f'{xml_path}: {clipped} box(es) outside the {width}x{height} '
                          'image were clipped to it')
        if dropped:
            warnings.warn(f'{xml_path}: dropped {dropped} exact duplicate box(es)')
        return dict(img_path=img_path, img_id=osp.splitext(osp.basename(xml_path))[0],
                    xml_path=xml_path, width=width, height=height, instances=instances,
                    seg_map_path=None)

    def filter_data(self) -> List[dict]:
        """Apply ``filter_cfg`` as mmdet's ``XMLDataset`` does (training only).

        ``filter_empty_gt`` drops images without objects (default False: they
        are valid negatives); ``min_size`` drops images whose shorter side is
        below it (default 0). Any other key is refused by name.
        """
        if self.test_mode or not self.filter_cfg:
            return self.data_list
        unknown = set(self.filter_cfg) - {'filter_empty_gt', 'min_size'}
        if unknown:
            raise DataError(f'NEUDETDataset filter_cfg takes filter_empty_gt and min_size, '
                            f'got {sorted(unknown)}')
        empty = self.filter_cfg.get('filter_empty_gt', False)
        min_size = self.filter_cfg.get('min_size', 0)
        return [d for d in self.data_list
                if not (empty and not d['instances']) and min(d['width'], d['height']) >= min_size]
