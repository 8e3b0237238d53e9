"""``Pretrained`` weight initializer that says what it loaded.

MMEngine's ``PretrainedInit`` loads with ``strict=False``: a checkpoint whose
keys carry a prefix the module does not have (``backbone.conv1.weight`` vs
``conv1.weight``) loads nothing and the run goes on from random weights.
This initializer has the same config interface and replaces MMEngine's
wherever hpse_bench is the default scope (MMEngine builds initializers from
the registry of the current scope), but it

- logs ``loaded N/M tensors from <file>``;
- raises :class:`~hpse_bench.checkpoint.CheckpointMismatchError` when no
  tensor matches, naming the checkpoint, the key prefixes found in it, those
  the module expects and, when it can tell, the ``prefix`` to set;
- warns with the missing, unexpected and shape-mismatched keys when only
  some match.
"""
import logging
from collections import OrderedDict
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


@WEIGHT_INITIALIZERS.register_module(name='Pretrained')
class PretrainedInit:
    """Initialise a module from a checkpoint, loudly.

    Args:
        checkpoint: path or URL of the checkpoint (MMEngine schemes such as
            ``torchvision://resnet50`` work as in MMEngine).
        prefix: load only the keys under this prefix, with the prefix
            removed (``'backbone.'`` to take a backbone out of a whole-model
            checkpoint). A missing trailing dot is added, as in MMEngine.
        map_location: passed to ``torch.load``.
    """

    def __init__(self,
                 checkpoint: str,
                 prefix: Optional[str] = None,
                 map_location: Any = 'cpu') -> None:
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.map_location = map_location

    def __call__(self, module: nn.Module) -> None:
        if not self.checkpoint:
            raise ValueError(
                f'init_cfg of {type(module).__name__} is '
                "dict(type='Pretrained') without a checkpoint: set it, e.g. "
                '--cfg-options model.backbone.init_cfg.checkpoint='
                'work_dirs/export/backbone.pth, or set '
                'model.backbone.init_cfg=None for a random initialisation')
        tensors = _checkpoint_tensors(
            load_checkpoint_file(self.checkpoint, self.map_location))
        expected = module.state_dict()
        if self.prefix:
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
            tensors = selected

        matched = OrderedDict()
        mismatched: List[str] = []
        for key, value in tensors.items():
            if key not in expected:
                continue
            if value.shape == expected[key].shape:
                matched[key] = value
            else:
                mismatched.append(f'{key} {tuple(value.shape)} vs '
                                  f'{tuple(expected[key].shape)}')
        if not matched:
            raise CheckpointMismatchError(
                self._no_match_message(module, tensors, expected, mismatched))

        module.load_state_dict(matched, strict=False)
        where = f" (prefix '{self.prefix}')" if self.prefix else ''
        print_log(
            f'loaded {len(matched)}/{len(expected)} tensors from '
            f'{self.checkpoint}{where} into {type(module).__name__}',
            logger='current')
        missing = [k for k in expected if k not in matched]
        unexpected = [k for k in tensors if k not in expected]
        if missing or unexpected or mismatched:
            lines = [
                f'{self.checkpoint} initialised {type(module).__name__} '
                f'only partly ({len(matched)}/{len(expected)} tensors):'
            ]
            if missing:
                lines.append(f'  missing in the checkpoint ({len(missing)}): '
                             f'{format_keys(missing)}')
            if unexpected:
                lines.append(
                    f'  unexpected in the checkpoint ({len(unexpected)}): '
                    f'{format_keys(unexpected)}')
            if mismatched:
                lines.append(
                    f'  shape mismatch, not loaded ({len(mismatched)}): '
                    f'{format_keys(mismatched)}')
            print_log(
                '\n'.join(lines), logger='current', level=logging.WARNING)

        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

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
