"""``Pretrained`` weight initializer that loads all or fails.

MMEngine's ``PretrainedInit`` loads with ``strict=False``: a checkpoint whose
keys carry a prefix the module does not have (``backbone.conv1.weight`` vs
``conv1.weight``) loads nothing, a ResNet-34 file initialises a ResNet-18 and
a file with one matching tensor initialises one tensor, and the run goes on.
This initializer has the same config interface and replaces MMEngine's
wherever hpse_bench is the default scope (MMEngine builds initializers from
the registry of the current scope), but it

- logs ``loaded N/M tensors from <file>``;
- raises :class:`~hpse_bench.checkpoint.CheckpointMismatchError` unless every
  tensor of the module is loaded with its shape and the checkpoint has no
  tensor that the module's own submodules lack (extra blocks of a deeper
  ResNet), naming the file and the missing, unexpected and mismatched keys;
  with ``allow_partial=True`` it loads what matches and warns instead;
- when no tensor matches at all, names the key prefixes found, those the
  module expects and, when it can tell, the ``prefix`` to set.

Tensors under names the module has no submodule for (``fc.`` of a whole
torchvision ResNet, ``head.`` of a whole model) are not the module's: they
are listed in the log, not loaded. A missing BatchNorm
``num_batches_tracked`` counter (files from PyTorch < 0.4.1) stays 0, as
PyTorch itself leaves it.
"""
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model.weight_init import update_init_info

from hpse_bench.registry import WEIGHT_INITIALIZERS
from .errors import CheckpointMismatchError
from .io import (find_common_prefix, format_keys, format_prefixes,
                 load_checkpoint_file, strip_wrapper_prefix)


def _checkpoint_tensors(checkpoint: Any) -> Dict[str, torch.Tensor]:
    # The same choice as MMEngine's loader: 'state_dict' if present, else the
    # whole dict, with a DataParallel 'module.' removed.
    if isinstance(checkpoint, dict) and isinstance(
            checkpoint.get('state_dict'), dict):
        checkpoint = checkpoint['state_dict']
    if not isinstance(checkpoint, dict):
        return {}
    tensors = OrderedDict(
        (k, v) for k, v in checkpoint.items() if isinstance(v, torch.Tensor))
    return strip_wrapper_prefix(tensors)[0]


@dataclass
class _Match:
    """How a checkpoint's tensors meet a module's state dict."""
    matched: Dict[str, torch.Tensor] = field(default_factory=OrderedDict)
    missing: List[str] = field(default_factory=list)
    counters: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    mismatched: List[str] = field(default_factory=list)
    not_used: List[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)


def _match(tensors: Dict[str, torch.Tensor],
           expected: Dict[str, torch.Tensor]) -> _Match:
    out = _Match()
    children = {k.split('.', 1)[0] for k in expected}
    for key, value in tensors.items():
        if key in expected:
            if value.shape == expected[key].shape:
                out.matched[key] = value
            else:
                out.mismatched.append(f'{key} {tuple(value.shape)} vs '
                                      f'{tuple(expected[key].shape)}')
        elif key.split('.', 1)[0] in children:
            out.unexpected.append(key)
        else:
            out.not_used.append(key)
    for key in expected:
        if key not in tensors:
            (out.counters if key.endswith('num_batches_tracked') else
             out.missing).append(key)
    return out


@WEIGHT_INITIALIZERS.register_module(name='Pretrained')
class PretrainedInit:
    """Initialise a module from a checkpoint: every tensor, or an error.

    Args:
        checkpoint: path or URL of the checkpoint (MMEngine schemes such as
            ``torchvision://resnet50`` work as in MMEngine).
        prefix: load only the keys under this prefix, with the prefix
            removed (``'backbone.'`` to take a backbone out of a whole-model
            checkpoint). A missing trailing dot is added, as in MMEngine.
        map_location: passed to ``torch.load``.
        allow_partial: load whatever matches (names and shapes) and warn
            about the rest, instead of failing.
    """

    def __init__(self,
                 checkpoint: str,
                 prefix: Optional[str] = None,
                 map_location: Any = 'cpu',
                 allow_partial: bool = False) -> None:
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.map_location = map_location
        self.allow_partial = allow_partial

    def _tensors(self, module: nn.Module) -> Dict[str, torch.Tensor]:
        if not self.checkpoint:
            raise ValueError(
                f'init_cfg of {type(module).__name__} is '
                "dict(type='Pretrained') without a checkpoint: set it, e.g. "
                '--cfg-options model.backbone.init_cfg.checkpoint='
                'work_dirs/export/backbone.pth, or set '
                'model.backbone.init_cfg=None for a random initialisation')
        tensors = _checkpoint_tensors(
            load_checkpoint_file(self.checkpoint, self.map_location))
        if not self.prefix:
            return tensors
        prefix = self.prefix if self.prefix.endswith(
            '.') else self.prefix + '.'
        selected = OrderedDict((k[len(prefix):], v)
                               for k, v in tensors.items()
                               if k.startswith(prefix))
        if not selected:
            raise CheckpointMismatchError(
                f"no key of {self.checkpoint} starts with prefix "
                f"'{prefix}'; key prefixes found in it: "
                f'{format_prefixes(tensors)}')
        return selected

    def __call__(self, module: nn.Module) -> None:
        tensors = self._tensors(module)
        expected = module.state_dict()
        match = _match(tensors, expected)
        if not match.matched:
            raise CheckpointMismatchError(
                self._no_match_message(module, tensors, expected,
                                       match.mismatched))
        name = type(module).__name__
        where = f" (prefix '{self.prefix}')" if self.prefix else ''
        if not match.complete and not self.allow_partial:
            raise CheckpointMismatchError('\n'.join(
                self._partial_lines(module, match, expected) + [
                    '  nothing was loaded; to accept a partial '
                    "initialisation, set init_cfg=dict(type='Pretrained', "
                    f'checkpoint=..., allow_partial=True) on {name}'
                ]))
        module.load_state_dict(match.matched, strict=False)
        print_log(
            f'loaded {len(match.matched)}/{len(expected)} tensors from '
            f'{self.checkpoint}{where} into {name}',
            logger='current')
        if match.not_used:
            print_log(
                f'{self.checkpoint}: not used (no such submodule in {name}): '
                f'{format_prefixes(match.not_used)}',
                logger='current')
        if match.counters:
            print_log(
                f'{self.checkpoint} has no BatchNorm counters '
                f'({len(match.counters)} num_batches_tracked); they stay 0',
                logger='current')
        if not match.complete:
            print_log(
                '\n'.join(self._partial_lines(module, match, expected)),
                logger='current',
                level=logging.WARNING)
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _partial_lines(self, module: nn.Module, match: _Match,
                       expected: Dict[str, torch.Tensor]) -> List[str]:
        verb = ('initialised' if self.allow_partial else 'would initialise')
        allowed = ', allow_partial=True' if self.allow_partial else ''
        lines = [
            f'{self.checkpoint} {verb} {type(module).__name__} only partly '
            f'({len(match.matched)}/{len(expected)} tensors{allowed}):'
        ]
        if match.missing:
            lines.append(f'  missing in the checkpoint ({len(match.missing)}):'
                         f' {format_keys(match.missing)}')
        if match.unexpected:
            lines.append('  unexpected in the checkpoint '
                         f'({len(match.unexpected)}): '
                         f'{format_keys(match.unexpected)}')
        if match.mismatched:
            lines.append('  shape mismatch, not loaded '
                         f'({len(match.mismatched)}): '
                         f'{format_keys(match.mismatched)}')
        return lines

    def _no_match_message(self, module: nn.Module, tensors: Dict[str,
                                                                 torch.Tensor],
                          expected: Dict[str, torch.Tensor],
                          mismatched: List[str]) -> str:
        lines = [
            f'no tensor of {self.checkpoint} matches '
            f'{type(module).__name__}' +
            (f" (prefix '{self.prefix}')" if self.prefix else ''),
            f'  key prefixes in the checkpoint: {format_prefixes(tensors)}',
            f'  key prefixes the module expects: {format_prefixes(expected)}',
        ]
        if mismatched:
            lines.append('  names match but shapes differ: '
                         f'{format_keys(mismatched, limit=10)}')
        extra = find_common_prefix(tensors, expected)
        if extra:
            full = (self.prefix or '') + extra
            lines.append(f"  hint: the checkpoint's keys are the module's "
                         f"under '{extra}'; set prefix='{full}' (or export "
                         'the backbone with tools/export_backbone.py)')
        else:
            missing = find_common_prefix(expected, tensors)
            if missing:
                lines.append(
                    f"  hint: the module's keys are the checkpoint's under "
                    f"'{missing}'; put this init_cfg on that submodule "
                    'instead')
        return '\n'.join(lines)

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: load from {self.checkpoint}'
