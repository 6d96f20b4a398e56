"""Take a ShuffleDefectNet initialisation from another checkpoint (e.g. mmpretrain's ImageNet
ShuffleNetV2 1.0x), keeping only the tensors that fit by name and shape, and say what loaded.

``unit='v2'`` has mmpretrain ShuffleNetV2's names and shapes and loads completely; the
ShuffleDefectNet unit (``unit='bottleneck'``) shares the stem. The output is a checkpoint
of the fitting tensors under ``backbone.``, for a config's
``model.backbone.init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone.')``
(the command to use is printed). No download here: give a file you have.

Example:
    python tools/model_converters/backbone_from_pretrained.py \\
        shufflenet_v2_batch1024_imagenet_20200812-5bf4721e.pth sdn-v2_imagenet.pth --unit v2
    python tools/train.py configs/sdn_ssd_neu.py --cfg-options model.backbone.unit=v2 \\
        model.backbone.init_cfg._delete_=True model.backbone.init_cfg.type=Pretrained \\
        model.backbone.init_cfg.checkpoint=sdn-v2_imagenet.pth model.backbone.init_cfg.prefix=backbone.
"""
import argparse
import os.path as osp

import torch

HERE = osp.dirname(osp.abspath(__file__))

from mmdet_shuffledefect.compat import (CorruptCheckpointError,
                                        UnsafeCheckpointError, load_checkpoint_file)
from mmdet_shuffledefect.models.backbones import ShuffleDefectNet
from mmdet_shuffledefect.models.backbones.pretrained import match_backbone_tensors
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter
from mmdet_shuffledefect.utils.tool_errors import fail


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('checkpoint', help='source checkpoint (mmpretrain/mmdet/bare state dict)')
    parser.add_argument('out', help='the .pth file to write')
    parser.add_argument('--widen-factor', type=float, default=1.0,
                        choices=sorted(ShuffleDefectNet.arch_settings))
    parser.add_argument('--unit', default='bottleneck', choices=list(ShuffleDefectNet.units))
    parser.add_argument('--prefix', default='backbone.',
                        help="the backbone's prefix in the source ('' for a bare backbone)")
    parser.add_argument('--with-final-conv', action='store_true',
                        help='also the 1x1 conv after the last stage (classifiers)')
    parser.add_argument('--list', action='store_true',
                        help='print every tensor not loaded (default: the first 10)')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        fail(f'checkpoint {args.checkpoint} does not exist')
    try:
        ckpt = load_checkpoint_file(args.checkpoint, map_location='cpu')
    except (CorruptCheckpointError, UnsafeCheckpointError) as err:
        fail(str(err), code=1)
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        fail(f'{args.checkpoint} holds no state dict of tensors', code=1)
    backbone = ShuffleDefectNet(widen_factor=args.widen_factor, unit=args.unit,
                                with_final_conv=args.with_final_conv,
                                out_indices=(3, ) if args.with_final_conv else (0, 1, 2))
    try:
        match = match_backbone_tensors(backbone, state, args.prefix)
    except ValueError as err:
        fail(f'{args.checkpoint}: {err}', code=1)
    print(f'ShuffleDefectNet {args.widen_factor}x unit={args.unit}: {match.summary(backbone)}')
    not_loaded = ([f'  not in the checkpoint: {n}' for n in match.missing]
                  + [f'  other shape: {n} ours {a} theirs {b}' for n, a, b in match.mismatched])
    shown = not_loaded if args.list else not_loaded[:10]
    print('\n'.join(shown + ([f'  ... {len(not_loaded) - 10} more (--list)']
                             if len(not_loaded) > len(shown) else [])))
    if not match.loaded:
        fail('no tensor fits: nothing written', code=1)
    torch.save({'state_dict': {'backbone.' + k: v for k, v in match.loaded.items()},
                'meta': dict(source=osp.basename(args.checkpoint), unit=args.unit,
                             widen_factor=args.widen_factor,
                             loaded=sorted(match.loaded), missing=match.missing,
                             mismatched=[n for n, _, _ in match.mismatched])}, args.out)
    print(f'written {args.out}; use it with --cfg-options model.backbone.unit={args.unit} '
          f'model.backbone.widen_factor={args.widen_factor} '
          'model.backbone.init_cfg._delete_=True model.backbone.init_cfg.type=Pretrained '
          f'model.backbone.init_cfg.checkpoint={args.out} model.backbone.init_cfg.prefix=backbone.')


if __name__ == '__main__':
    main()
