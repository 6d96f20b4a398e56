"""Let mmpretrain import beside an incompatible transformers (5.x).

Upstream: no issue filed that we found; the code at fault is mmpretrain's
dependency check, https://github.com/open-mmlab/mmpretrain/blob/main/mmpretrain/utils/dependency.py
(mmpretrain 1.2.0 is the latest release). mmpretrain decides from the installed distribution's
metadata whether to import its multimodal models (``transformers>=4.28.0`` and
pycocotools, ``mmpretrain/utils/dependency.py``). With transformers 5.x
``transformers.modeling_utils`` lacks ``apply_chunking_to_forward``, mmpretrain
sets ``PreTrainedModel = None``, and its BLIP class definition raises
``TypeError: NoneType takes no arguments`` — so ``import mmpretrain`` fails,
and with it every classifier config of this package.

The fix imports mmpretrain once while its dependency check reports
transformers as not installed: mmpretrain then registers its multimodal models
as placeholders (using one says which extra it needs) and everything else —
classifiers, backbones, datasets, metrics — works. It is applied before this
package imports mmpretrain, and only when transformers >= 5 is installed and
mmpretrain has not been imported yet.
"""
import sys
from importlib import metadata

from .upstream_fix import UpstreamFix


def transformers_breaks_mmpretrain() -> bool:
    """Whether an installed transformers >= 5 would break ``import mmpretrain``."""
    if 'mmpretrain' in sys.modules:
        return False  # imported already (it worked, or the import failed by then)
    try:
        version = metadata.version('transformers')
    except metadata.PackageNotFoundError:
        return False
    major = version.split('.', 1)[0]
    return major.isdigit() and int(major) >= 5


def import_mmpretrain_without_multimodal() -> None:
    """Import mmpretrain with transformers hidden from its dependency check only."""
    import importlib_metadata
    original = importlib_metadata.distribution

    def distribution(name: str):
        if name.strip().lower() == 'transformers':
            raise importlib_metadata.PackageNotFoundError(name)
        return original(name)

    importlib_metadata.distribution = distribution
    try:
        import mmpretrain  # noqa: F401
        import mmpretrain.models  # noqa: F401
    finally:
        importlib_metadata.distribution = original
    from mmengine.logging import print_log
    print_log(f'mmdet_shuffledefect: transformers {metadata.version("transformers")} is '
              'incompatible with mmpretrain 1.2; its multimodal models are '
              'disabled, everything else works', logger='current')


MMPRETRAIN_TRANSFORMERS = UpstreamFix(
    name='mmpretrain-transformers5',
    distribution='mmpretrain',
    affected='mmpretrain 1.2.0 with transformers >= 5',
    upstream='https://github.com/open-mmlab/mmpretrain/blob/main/mmpretrain/utils/dependency.py',
    is_needed=transformers_breaks_mmpretrain,
    apply=import_mmpretrain_without_multimodal,
    announce_skip=False)  # transformers is optional: most installs have none
