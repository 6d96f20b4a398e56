"""Test-time augmentation (TTA) for a detector config: every test picture is predicted at
several input sizes and flips, the boxes are mapped back to the original picture and merged
by the model's own NMS (mmdet's ``TestTimeAug`` transform and ``DetTTAModel``).

``tools/test.py --tta`` uses :func:`set_tta`; a config that defines its own ``tta_model``
and ``tta_pipeline`` (mmdet's keys) is used as written.
"""
import copy
from typing import List, Optional, Sequence

from mmengine.config import Config

from .config_data import loader_datasets
from .input_size import resize_wh, square_side

#: flip name -> the ``RandomFlip`` step that applies it (``None``: the unflipped view)
FLIPS = {
    'none': None,
    'horizontal': dict(type='RandomFlip', prob=1.0, direction='horizontal'),
    'vertical': dict(type='RandomFlip', prob=1.0, direction='vertical'),
    'diagonal': dict(type='RandomFlip', prob=1.0, direction='diagonal'),
}
#: the views' flips when none are given
DEFAULT_FLIPS = ('none', 'horizontal')
#: meta keys ``DetTTAModel`` reads to undo a flip
FLIP_META_KEYS = ('flip', 'flip_direction')


def _resize_index(pipeline: Sequence[dict]) -> int:
    for i, step in enumerate(pipeline):
        if step.get('type') in ('Resize', 'mmdet.Resize'):
            return i
    raise ValueError('the test pipeline has no Resize step to scale; steps: '
                     + ', '.join(str(s.get('type')) for s in pipeline))


def _pipeline_size(resize: dict) -> int:
    return square_side(*resize_wh(resize), 'the test Resize step', 'TTA')


def tta_pipeline(pipeline: Sequence[dict], sizes: Optional[Sequence[int]] = None,
                 flips: Sequence[str] = DEFAULT_FLIPS) -> List[dict]:
    """The test pipeline as a ``TestTimeAug`` over ``sizes`` x ``flips``.

    The steps before the pipeline's ``Resize`` run once; the ``Resize`` becomes one view per
    size (``None``: the pipeline's own size), a flip step per name of ``flips`` follows, and
    the steps after the ``Resize`` (annotations, packing) run on every view, with the flip
    recorded in the packed meta keys.

    Args:
        pipeline: a test pipeline with one square ``Resize`` step.
        sizes: input sizes in pixels; default: the pipeline's own.
        flips: names from :data:`FLIPS`; ``'none'`` is the unflipped view.

    Returns:
        list[dict]: the new pipeline.

    Raises:
        ValueError: no ``Resize`` step, a non-square one, an unknown flip, a size < 32 or
            no views at all.

    Example:
        >>> p = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(192, 192)),
        ...      dict(type='PackDetInputs', meta_keys=('img_id', 'scale_factor'))]
        >>> tta = tta_pipeline(p, sizes=[192, 256], flips=['none', 'vertical'])
        >>> [s['scale'] for s in tta[1]['transforms'][0]]
        [(192, 192), (256, 256)]
        >>> tta[1]['transforms'][-1][0]['meta_keys']
        ('img_id', 'scale_factor', 'flip', 'flip_direction')
    """
    pipeline = copy.deepcopy(list(pipeline))
    at = _resize_index(pipeline)
    resize = pipeline[at]
    own = _pipeline_size(resize)
    sizes = list(sizes) if sizes else [own]
    unknown = [f for f in flips if f not in FLIPS]
    if unknown:
        raise ValueError(f'unknown flip(s) {unknown}; expected names from {sorted(FLIPS)}')
    if not flips:
        raise ValueError('no flips given; use "none" for the unflipped view only')
    bad = [s for s in sizes if not isinstance(s, int) or s < 32]
    if bad:
        raise ValueError(f'input sizes must be integers >= 32 pixels, got {bad}')
    resizes = [dict(resize, scale=(s, s)) for s in dict.fromkeys(sizes)]
    flip_steps = [FLIPS[f] or dict(type='RandomFlip', prob=0.0)
                  for f in dict.fromkeys(flips)]
    after = []
    for step in pipeline[at + 1:]:
        if step.get('type') in ('PackDetInputs', 'mmdet.PackDetInputs') and 'meta_keys' in step:
            keys = tuple(step['meta_keys'])
            step = dict(step, meta_keys=keys + tuple(k for k in FLIP_META_KEYS if k not in keys))
        after.append([step])
    return pipeline[:at] + [dict(type='TestTimeAug', transforms=[resizes, flip_steps] + after)]


def set_tta(cfg: Config, sizes: Optional[Sequence[int]] = None,
            flips: Optional[Sequence[str]] = None) -> str:
    """Make ``cfg``'s test run TTA: mmdet's ``DetTTAModel`` around the model, merging the
    views with the model's own ``test_cfg`` NMS and ``max_per_img``, and the test pipeline
    from :func:`tta_pipeline` (``flips`` default: :data:`DEFAULT_FLIPS`). A config's own
    ``tta_model``/``tta_pipeline`` are used as written; ``sizes`` or ``flips`` given beside
    a config's ``tta_pipeline`` are refused rather than ignored.

    The ``EMAHook`` is dropped: a checkpoint's ``state_dict`` already holds the averaged
    weights (mmengine swaps them in when saving), and the hook, built around the wrapped
    model, would load them under the wrong names without an error and swap in its own.

    Returns:
        str: one line that says which views run, for the tool to print.

    Example:
        >>> cfg = Config(dict(model=dict(type='M', test_cfg=dict(
        ...     nms=dict(type='nms', iou_threshold=0.5), max_per_img=100)),
        ...     test_dataloader=dict(dataset=dict(pipeline=[
        ...         dict(type='Resize', scale=(192, 192))]))))
        >>> set_tta(cfg, flips=['none', 'horizontal'])
        'TTA: 2 views per picture (sizes [192] x flips [none, horizontal]), merged by NMS iou 0.5'
        >>> cfg.model.type, cfg.model.module.type
        ('DetTTAModel', 'M')
    """
    dataset = next((d for d in loader_datasets(cfg.test_dataloader) if 'pipeline' in d), None)
    if dataset is None:
        raise ValueError('the test dataloader has no dataset with a pipeline')
    if cfg.get('tta_pipeline') is not None:
        if sizes or flips:
            raise ValueError('the config defines its own tta_pipeline; TTA sizes/flips given '
                             'beside it would be ignored (edit its tta_pipeline instead)')
        dataset['pipeline'] = cfg.tta_pipeline
        views = 'the config\'s tta_pipeline'
    else:
        flips = list(flips or DEFAULT_FLIPS)
        dataset['pipeline'] = tta_pipeline(dataset['pipeline'], sizes, flips)
        aug = dataset['pipeline'][-1]['transforms']
        names = list(dict.fromkeys(flips))
        count = len(aug[0]) * len(aug[1])
        views = (f'{count} view{"s" if count > 1 else ""} per picture (sizes '
                 f'{[s["scale"][0] for s in aug[0]]} x flips [{", ".join(names)}])')
    test_cfg = cfg.model.get('test_cfg') or {}
    if cfg.get('tta_model') is not None:
        tta_model = copy.deepcopy(cfg.tta_model)
    else:
        if 'nms' not in test_cfg:
            raise ValueError('model.test_cfg has no nms to merge the views with; give the '
                             'config a tta_model (mmdet\'s DetTTAModel with tta_cfg)')
        tta_model = dict(type='DetTTAModel', tta_cfg=dict(
            nms=copy.deepcopy(test_cfg['nms']), max_per_img=test_cfg.get('max_per_img', 100)))
    tta_model['module'] = cfg.model
    cfg.model = tta_model
    hooks = cfg.get('custom_hooks') or []
    cfg.custom_hooks = [h for h in hooks if h.get('type') not in ('EMAHook', 'mmengine.EMAHook')]
    nms = tta_model['tta_cfg']['nms']
    return f'TTA: {views}, merged by NMS iou {nms.get("iou_threshold")}'
