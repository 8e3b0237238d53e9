import hashlib
import json
import os.path as osp
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.dist import get_rank, get_world_size, is_distributed
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from hpse_bench.registry import HOOKS


def state_dict_digest(module: torch.nn.Module,
                      include_buffers: bool = False) -> str:
    """SHA-256 over the parameters (and buffers), in name order."""
    h = hashlib.sha256()
    tensors = dict(module.named_parameters())
    if include_buffers:
        tensors.update(dict(module.named_buffers()))
    for name, tensor in sorted(tensors.items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


@HOOKS.register_module()
class ReplicaConsistencyHook(Hook):
    """Check that every rank holds the same weights after training.

    DDP keeps replicas equal only if every rank runs the same graph and the
    same optimiser steps; a rank-dependent branch, a parameter left out of
    the reduction or a rank-local update of the *model* silently breaks that.
    This hook hashes the model's parameters on every rank after training (and
    every ``interval`` epochs when set), gathers the digests, writes them to
    ``<work_dir>/replica_digests.json`` and raises when they differ.

    Args:
        interval: also check every ``interval`` epochs; 0 checks only at the
            end of training.
        raise_on_mismatch: raise ``RuntimeError`` on a mismatch (default) or
            only log it.
        include_buffers: also compare buffers. BatchNorm running statistics
            are rank-local under MMEngine's default DDP wrapper
            (``broadcast_buffers=False``) unless SyncBN is used, so they
            differ by design and are left out by default.
    """

    priority = 'VERY_LOW'

    def __init__(self,
                 interval: int = 0,
                 raise_on_mismatch: bool = True,
                 include_buffers: bool = False):
        self.interval = interval
        self.raise_on_mismatch = raise_on_mismatch
        self.include_buffers = include_buffers

    def after_train_epoch(self, runner) -> None:
        if self.interval and self.every_n_epochs(runner, self.interval):
            self._check(runner, f'epoch {runner.epoch + 1}')

    def after_train(self, runner) -> None:
        self._check(runner, 'end of training')

    def _check(self, runner, when: str) -> Optional[list]:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        digest = state_dict_digest(model, self.include_buffers)
        digests = [digest]
        if is_distributed():
            digests = [None] * get_world_size()
            torch_dist.all_gather_object(digests, digest)
        consistent = len(set(digests)) == 1
        if get_rank() == 0:
            with open(osp.join(runner.work_dir, 'replica_digests.json'),
                      'w') as f:
                json.dump(
                    dict(when=when, digests=digests, consistent=consistent),
                    f,
                    indent=2)
        msg = (f'replica weights at {when}: '
               f'{"identical" if consistent else "DIFFERENT"} on '
               f'{len(digests)} rank(s)')
        runner.logger.info(msg)
        if not consistent and self.raise_on_mismatch:
            raise RuntimeError(msg + f': {digests}')
        return digests
