"""A hook that records what each distributed rank did (for checking a launch)."""
import json
import os.path as osp

import torch
from mmengine.dist import get_dist_info
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class DistInfoHook(Hook):
    """After training, write ``dist_info_rank<R>.json`` into the work dir.

    It holds the rank, the world size, a checksum of the model parameters
    (equal on every rank when DDP kept them in sync) and the sample indices
    the rank's sampler drew in the last epoch (disjoint across ranks, except
    for the few indices the sampler repeats to give every rank the same count).

    Example:
        >>> custom_hooks = [dict(type='DistInfoHook')]
    """

    priority = 'VERY_LOW'

    def after_train(self, runner) -> None:
        rank, world_size = get_dist_info()
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        checksum = float(sum(p.detach().double().sum() for p in model.parameters()))
        sampler = runner.train_dataloader.sampler
        indices = [int(i) for i in iter(sampler)] if sampler is not None else []
        info = dict(rank=rank, world_size=world_size, checksum=checksum,
                    sampler_indices=indices, dataset_size=len(runner.train_dataloader.dataset),
                    torch_threads=torch.get_num_threads())
        runner.logger.info(f'dist-info rank={rank} world_size={world_size} '
                           f'checksum={checksum:.6f} samples={len(indices)}')
        with open(osp.join(runner.work_dir, f'dist_info_rank{rank}.json'), 'w') as f:
            json.dump(info, f)
