"""Initialise ShuffleDefectNet from another backbone's weights where the tensors match.

mmpretrain's ImageNet ShuffleNetV2 checkpoints (``backbone.conv1.conv.weight``,
``backbone.layers.0.0.branch2.0.conv.weight``, ...) use the names and shapes of
``ShuffleDefectNet(unit='v2')``, so that backbone loads them completely; the
ShuffleDefectNet unit (``unit='bottleneck'``) shares the stem, and any other
tensor whose name and shape agree. :func:`match_backbone_tensors` says which
tensors load and which do not (and why), so nothing is assumed.

Example:
    >>> import torch
    >>> net = ShuffleDefectNet(unit='v2', out_indices=(0, 1, 2))
    >>> theirs = {'backbone.' + k: v for k, v in net.state_dict().items()}
    >>> theirs['head.fc.weight'] = torch.zeros(1000, 1024)
    >>> match = match_backbone_tensors(net, theirs)
    >>> len(match.loaded) == len(net.state_dict()), match.missing, match.mismatched
    (True, [], [])
"""
from typing import Dict, List, Mapping, NamedTuple, Tuple

from torch import Tensor, nn

from .shuffledefectnet import ShuffleDefectNet  # noqa: F401  (the doctest's network)


class BackboneMatch(NamedTuple):
    """What of a checkpoint fits a backbone.

    Attributes:
        loaded (dict): Backbone tensor name -> the checkpoint's tensor (same shape).
        missing (list): Backbone tensors the checkpoint does not have.
        mismatched (list): ``(name, backbone shape, checkpoint shape)`` where both have
            the name but not the shape.
        unused (list): Checkpoint tensors under the prefix that the backbone does not have.
    """
    loaded: Dict[str, Tensor]
    missing: List[str]
    mismatched: List[Tuple[str, Tuple[int, ...], Tuple[int, ...]]]
    unused: List[str]

    def summary(self, backbone: nn.Module) -> str:
        """One line: tensors and parameters loaded, of the backbone's."""
        own = backbone.state_dict()
        numel = sum(v.numel() for k, v in own.items() if k in self.loaded)
        total = sum(v.numel() for v in own.values())
        return (f'{len(self.loaded)} of {len(own)} backbone tensors loaded '
                f'({numel:,} of {total:,} values, {100.0 * numel / max(total, 1):.1f} %); '
                f'{len(self.missing)} not in the checkpoint, {len(self.mismatched)} of '
                f'another shape, {len(self.unused)} checkpoint tensors unused')


def match_backbone_tensors(backbone: nn.Module, state_dict: Mapping[str, Tensor],
                           prefix: str = 'backbone.') -> BackboneMatch:
    """Which tensors of ``state_dict`` (under ``prefix``) fit ``backbone`` by name and shape.

    Args:
        backbone (nn.Module): The backbone to initialise.
        state_dict (Mapping[str, Tensor]): A checkpoint's ``state_dict``.
        prefix (str): The backbone's prefix in the checkpoint (``'backbone.'`` for
            mmpretrain classifiers and mmdet detectors, ``''`` for a bare backbone).

    Returns:
        BackboneMatch: Loaded, missing, mismatched and unused tensors.

    Raises:
        ValueError: Nothing in ``state_dict`` starts with ``prefix``.
    """
    theirs = {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
    if not theirs:
        raise ValueError(f'no tensor of the checkpoint starts with {prefix!r} (its first '
                         f'keys: {list(state_dict)[:3]}); give the prefix its backbone has')
    loaded, missing, mismatched = {}, [], []
    for name, tensor in backbone.state_dict().items():
        if name not in theirs:
            missing.append(name)
        elif tuple(theirs[name].shape) != tuple(tensor.shape):
            mismatched.append((name, tuple(tensor.shape), tuple(theirs[name].shape)))
        else:
            loaded[name] = theirs[name]
    own = backbone.state_dict()
    unused = [k for k in theirs if k not in own]
    return BackboneMatch(loaded, missing, mismatched, unused)


__all__ = ['BackboneMatch', 'match_backbone_tensors']
