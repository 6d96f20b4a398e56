"""NEU-CLS classification dataset for mmpretrain."""
import os
import os.path as osp
from typing import Dict, List

from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from .neu_classes import NEU_CLASSES, PREFIX_TO_CLASS, DataError, file_class
from .neu_det import IMAGE_EXTENSIONS, read_split_file


@DATASETS.register_module()
class NEUCLSDataset(BaseDataset):
    """NEU-CLS: 200x200 grayscale BMPs named ``<Prefix>_<n>.bmp``.

    Layouts: the official flat folder (``Cr_1.bmp ... Sc_300.bmp``, the
    prefix gives the class: Cr, In, Pa, PS, RS, Sc) or one subfolder per
    class (named by the NEU-DET class name, or by anything when the files
    carry the prefix). ``ann_file`` is a split file of stems (``Cr_17``);
    empty means every image.

    Args:
        data_root (str): Dataset root.
        ann_file (str): Split file, relative to ``data_root``. Defaults to ''.
        data_prefix (str): Image folder under ``data_root``. Defaults to 'images'.
        **kwargs: Other :class:`mmpretrain.datasets.BaseDataset` arguments.

    Example:
        >>> ds = NEUCLSDataset(data_root='data/NEU-CLS', ann_file='splits/test.txt')  # doctest: +SKIP
        >>> ds.CLASSES == NEU_CLASSES  # doctest: +SKIP
        True
    """

    METAINFO = dict(classes=NEU_CLASSES)

    def __init__(self, data_root: str = '', ann_file: str = '', data_prefix: str = 'images',
                 **kwargs) -> None:
        super().__init__(ann_file=ann_file, data_root=data_root,
                         data_prefix=data_prefix, **kwargs)

    def _index_images(self, img_dir: str) -> Dict[str, str]:
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'NEU-CLS image folder {img_dir} does not exist')
        found = {}
        for dirpath, _, files in os.walk(img_dir, followlinks=True):
            for f in files:
                if f.endswith(IMAGE_EXTENSIONS):
                    stem = osp.splitext(f)[0]
                    if stem in found:
                        raise DataError(f'{stem} appears twice: {found[stem]} and '
                                         f'{osp.join(dirpath, f)}')
                    found[stem] = osp.join(dirpath, f)
        return found

    def _label(self, stem: str, path: str) -> int:
        classes = list(self.metainfo['classes'])
        prefix = file_class(stem)
        name = PREFIX_TO_CLASS.get(prefix, prefix)
        if name not in classes:
            name = osp.basename(osp.dirname(path))  # class-subfolder layout
        if name not in classes:
            raise DataError(f'{path}: cannot tell its class (prefix {prefix!r}, folder '
                             f'{name!r}); expected one of {tuple(classes)}')
        return classes.index(name)

    def load_data_list(self) -> List[dict]:
        """Image paths and labels for the stems selected by the split."""
        images = self._index_images(self.img_prefix)
        stems = read_split_file(self.ann_file) if self.ann_file else sorted(images)
        data = []
        for stem in stems:
            if stem not in images:
                raise FileNotFoundError(f'{stem} (listed in {self.ann_file}) has no image '
                                        f'under {self.img_prefix}')
            data.append(dict(img_path=images[stem], gt_label=self._label(stem, images[stem])))
        return data
