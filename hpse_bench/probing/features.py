"""Frozen backbone features for linear probes.

The backbone is the fine-tune config's ``model.backbone`` (an mmpretrain
``ResNet`` of any depth or width), either as the fine-tune would start from
a random initialisation (``init_cfg=None``, then ``init_weights()``, with a
given seed) or loaded *strictly* from an exported file
(``tools/export_backbone.py``): every tensor the backbone has must be in the
file with its shape, and nothing else may be, or loading fails. The file is
read with ``weights_only`` loading, so it can hold tensors and plain values
only and never runs code.

Features: the last two stages (C4 and C5) each average-pooled to
``POOL_SIZE x POOL_SIZE`` and concatenated, in eval mode without gradients.
Keeping a coarse spatial layout matters for pose: a globally pooled map has
lost where the limbs are.
"""
import copy
import logging
import os
import os.path as osp
from typing import Iterable, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger
from torch import nn

from hpse_bench.checkpoint import (CheckpointMismatchError,
                                   CheckpointReadError, extract_state_dict,
                                   format_keys, load_checkpoint_file,
                                   strip_wrapper_prefix)
from hpse_bench.registry import MODELS
from hpse_bench.utils.fileio import file_sha256

POOL_SIZE = 2
#: mmpretrain ResNet stages read: C4 and C5.
FEATURE_STAGES = (2, 3)


def load_backbone_tensors(path: str) -> dict:
    """The tensors of an exported backbone file (or of a whole training
    checkpoint), read as every checkpoint is: ``weights_only`` with
    MMEngine's allow-list (``checkpoint.io.load_checkpoint_file``).

    Raises:
        FileNotFoundError: no such file.
        CheckpointReadError: not a PyTorch checkpoint, or one that needs
            more than ``weights_only`` loading (the message says how to
            re-save it).
    """
    checkpoint = load_checkpoint_file(path)
    try:
        tensors, _ = extract_state_dict(checkpoint)
    except Exception as err:  # noqa: BLE001 - re-raised with the file name
        raise CheckpointReadError(
            f'could not read {path} as a backbone checkpoint '
            f'({type(err).__name__}: {err}); tools/export_backbone.py '
            'writes the expected {"state_dict": tensors} file') from err
    return strip_wrapper_prefix(tensors)[0]


def _describe(cfg: dict) -> str:
    keys = ('type', 'depth', 'base_channels', 'stem_channels')
    return ', '.join(f'{k}={cfg[k]}' for k in keys if k in cfg)


def build_frozen_backbone(backbone_cfg: dict,
                          checkpoint: Optional[str] = None,
                          seed: int = 0) -> nn.Module:
    """The config's backbone, randomly initialised or strictly loaded.

    Args:
        backbone_cfg: ``cfg.model.backbone``; its ``init_cfg`` is dropped and
            its ``out_indices`` set to C4 and C5.
        checkpoint: exported backbone file, or ``None`` for the random
            initialisation the fine-tune starts from without pre-training.
        seed: torch seed of the random initialisation.

    Returns:
        The backbone in eval mode with ``requires_grad=False``.

    Raises:
        CheckpointMismatchError: the file's tensors are not exactly the
            backbone's (missing, unexpected or differently shaped tensors).
    """
    cfg = copy.deepcopy(dict(backbone_cfg))
    cfg['init_cfg'] = None
    cfg['out_indices'] = FEATURE_STAGES
    cfg.pop('frozen_stages', None)
    state = torch.random.get_rng_state()
    logger = MMLogger.get_current_instance()
    level = logger.level
    torch.manual_seed(seed)
    try:
        backbone = MODELS.build(cfg)
        # Without a log file, init_weights lists every parameter at INFO.
        logger.setLevel(logging.WARNING)
        backbone.init_weights()
    finally:
        logger.setLevel(level)
        torch.random.set_rng_state(state)
    if checkpoint is not None:
        tensors = load_backbone_tensors(checkpoint)
        expected = backbone.state_dict()
        missing = [k for k in expected if k not in tensors]
        unexpected = [k for k in tensors if k not in expected]
        shapes = [
            f'{k} {tuple(v.shape)} vs {tuple(expected[k].shape)}'
            for k, v in tensors.items()
            if k in expected and v.shape != expected[k].shape
        ]
        if missing or unexpected or shapes:
            raise CheckpointMismatchError(
                f'{checkpoint} does not fit the config\'s backbone '
                f'({_describe(cfg)}); missing: {format_keys(missing)}; '
                f'unexpected: {format_keys(unexpected)}; shape mismatch: '
                f'{format_keys(shapes)}. Probe with the fine-tune config '
                'whose backbone the file was exported from.')
        backbone.load_state_dict(tensors, strict=True)
    backbone.eval()
    for p in backbone.parameters():
        p.requires_grad_(False)
    return backbone


@torch.no_grad()
def pooled_features(backbone: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """``(B, F)``: each stage output pooled to ``POOL_SIZE`` squared cells,
    flattened and concatenated."""
    outs = backbone(inputs)
    outs = outs if isinstance(outs, (tuple, list)) else (outs, )
    return torch.cat(
        [F.adaptive_avg_pool2d(o, POOL_SIZE).flatten(1) for o in outs], dim=1)


def standardise(
    train: np.ndarray, others: Iterable[np.ndarray] = ()
) -> Tuple[np.ndarray, list]:
    """Standardise by the training rows' mean and standard deviation.

    Features constant over the training rows (e.g. dead ReLUs) are only
    centred, so they stay 0 instead of being divided by 0.
    """
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std = np.where(std > 1e-8, std, 1.0)
    return (train - mean) / std, [(o - mean) / std for o in others]


def backbone_file_id(path: Optional[str]) -> Optional[dict]:
    """Where a probed backbone came from, for the run's record."""
    if path is None:
        return None
    return dict(
        path=os.fspath(path),
        sha256=file_sha256(path),
        size_bytes=osp.getsize(path))
