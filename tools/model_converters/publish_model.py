"""Prepare a checkpoint for the model zoo.

Drops the optimizer, the message hub and the scheduler states, and the EMA hook's
copy of the raw weights (``ema_state_dict``: with ``EMAHook`` the checkpoint's
``state_dict`` already holds the averaged weights, which validation used), saves the rest as
``<name>-<first 8 of sha256>.pth`` (for the model zoo, name it the mmdet way:
``<config stem>_<the training run's YYYYMMDD_HHMMSS>``, which ``tools/misc/model_zoo.py check``
enforces), verifies that the file loads (with the safe
loader) and, given the config, that the model builds from it and runs, then
prints the metafile entry. ``--score-thr`` stores the alarm thresholds chosen on these
weights (``tools/analysis_tools/choose_score_thr.py``) in ``meta['inspection_score_thr']``;
the inspection tools and the ONNX export then take them from the checkpoint.

Example:
    python tools/model_converters/publish_model.py work_dirs/sdn/best.pth \
        checkpoints/sdn_ssd_neu_20261126_120205.pth --config configs/sdn_ssd_neu.py \
        --score-thr 'crazing=0.15,inclusion=0.2,patches=0.5,pitted_surface=0.25,rolled-in_scale=0.2,scratches=0.15'
"""
import argparse
import os
import os.path as osp
import sys
import torch

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.utils.score_thresholds import META_KEY, ScoreThr, parse_spec
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter
from mmdet_shuffledefect.utils.tool_errors import fail
from mmdet_shuffledefect.utils.publish import DROPPED, publish
from mmdet_shuffledefect.utils.work_dir import stale_best_warning
from mmdet_shuffledefect.compat import (CorruptCheckpointError, UnsafeCheckpointError,
                                        load_checkpoint_file)


def verify(path: str, config: str) -> str:
    """Load the published file; with a config, build the model and run it."""
    ckpt = load_checkpoint_file(path)
    if set(DROPPED) & set(ckpt):
        raise RuntimeError(f'{path} still holds {set(DROPPED) & set(ckpt)}')
    if not config:
        return 'loads'
    from mmengine.config import Config

    from mmdet_shuffledefect.utils.checkpoint_fit import strict_loading
    scope = Config.fromfile(config).get('default_scope', 'mmdet')
    with strict_loading(path):
        return _run(path, config, scope)


def _run(path: str, config: str, scope: str) -> str:
    if scope == 'mmpretrain':
        from mmpretrain.apis import get_model
        model = get_model(config, pretrained=path, device='cpu')
        model(torch.rand(1, 3, 192, 192))
    else:
        import numpy as np
        from mmdet.apis import inference_detector, init_detector
        model = init_detector(config, path, device='cpu')
        inference_detector(model, np.random.randint(0, 255, (200, 200, 3), np.uint8))
    return 'loads, builds and runs'


def score_thr_arg(text: str) -> ScoreThr:
    """``--score-thr``: a number or ``class=number,...`` (ranges checked by the classes)."""
    try:
        return parse_spec(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('in_file', help='checkpoint written by the Runner')
    parser.add_argument('out_file', help='output path; the hash is appended to its name')
    parser.add_argument('--config', help='config to verify that the model builds and runs')
    parser.add_argument('--map', help='metric to put in the metafile entry, e.g. 0.62')
    parser.add_argument('--score-thr', type=score_thr_arg,
                        help="alarm thresholds chosen on these weights, carried in the "
                        "checkpoint: one number or 'crazing=0.15,inclusion=0.2,...' (one per "
                        'class; the line choose_score_thr.py prints); unset, any the input '
                        'checkpoint carries are kept')
    args = parser.parse_args(argv)
    if not osp.isfile(args.in_file):
        fail(f'checkpoint {args.in_file} does not exist')
    if args.config and not osp.isfile(args.config):
        fail(f'config {args.config} does not exist')
    stale = stale_best_warning(args.in_file)
    if stale:
        fail(f'{stale}; publish the recorded best, or copy this file to another name to '
             'publish it on purpose')
    try:
        final, digest = publish(args.in_file, args.out_file, args.score_thr)
    except (UnsafeCheckpointError, CorruptCheckpointError, ValueError) as err:
        fail(str(err), code=1)
    try:
        status = verify(final, args.config)
    except (UnsafeCheckpointError, CorruptCheckpointError, ValueError) as err:
        os.remove(final)  # a published file that does not fit its config is not kept
        fail(f'{err} (the published copy {final} was removed)', code=1)
    size_mb = osp.getsize(final) / 2**20
    name = osp.splitext(osp.basename(final))[0]
    print(f'published {final} ({size_mb:.2f} MB, sha256 {digest}); {status}')
    carried = load_checkpoint_file(final)['meta'].get(META_KEY)
    print(f'alarm thresholds carried: {carried}' if carried is not None else
          'alarm thresholds carried: none (the inspection tools use 0.3, said; choose them with '
          'choose_score_thr.py --write-checkpoint)')
    print('metafile entry:')
    # the mmdet rule: the model is named after its config, the file after both and a tag
    model_name = (osp.splitext(osp.basename(args.config))[0] if args.config
                  else name.rsplit('-', 1)[0])
    print(f'  - Name: {model_name}')
    print(f'    Config: {args.config or "?"}')
    print(f'    Weights: {osp.basename(final)}')
    print(f'    Metadata:\n      File size (MB): {size_mb:.2f}')
    if args.map:
        print(f'    Results:\n      - Task: Object Detection\n        Dataset: NEU-DET\n'
              f'        Metrics:\n          mAP@0.5: {args.map}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
