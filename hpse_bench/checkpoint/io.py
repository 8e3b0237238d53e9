"""Reading checkpoints and describing their keys.

Every checkpoint hpse_bench reads goes through :func:`load_checkpoint_file`,
i.e. through MMEngine's ``CheckpointLoader``: local files take the loader
installed by :mod:`hpse_bench.utils.compat` (``weights_only=True`` with the
exact types MMEngine's own training checkpoints need; a file that needs more
is refused, and :mod:`.resave` converts a trusted one once), and URLs or
``torchvision://`` names take MMEngine's other schemes.
"""
import os
import re
from collections import Counter, OrderedDict
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

import torch

from hpse_bench.utils.fileio import file_sha256  # noqa: F401  (re-exported)
from .errors import CheckpointReadError

# A state dict saved from ``nn.DataParallel`` / DDP carries this in front of
# every key; MMEngine's loader removes it too (``revise_keys``).
WRAPPER_PREFIX = 'module.'

# Containers in which the common releases keep their state dict, tried in
# this order: MMEngine / mmcv runners, MoCo, SwAV, SimCLR and PeCLR training
# scripts and PyTorch Lightning use 'state_dict'; DetCon-PyTorch, DeiT-style
# scripts use 'model'.
STATE_DICT_CONTAINERS = ('state_dict', 'model')


def is_remote(filename: str) -> bool:
    """Whether ``filename`` has a scheme (``http://``, ``torchvision://``)."""
    return re.match(r'^[a-zA-Z][\w+.-]*://', filename) is not None


def load_checkpoint_file(filename: str, map_location: Any = 'cpu') -> Any:
    """Load a checkpoint through MMEngine's ``CheckpointLoader``.

    Args:
        filename: local path, URL or any scheme MMEngine knows
            (``torchvision://resnet50``, ``open-mmlab://...``).
        map_location: passed to ``torch.load``.

    Returns:
        Whatever the file holds (usually a dict).

    Raises:
        FileNotFoundError: a local path that does not exist (the message
            names it, also resolved to an absolute path).
        CheckpointReadError: the file exists but is not a PyTorch
            checkpoint, is truncated, or needs more than ``weights_only``
            loading allows (the message names the file and the cause).
    """
    from mmengine.runner.checkpoint import CheckpointLoader

    from hpse_bench.utils.compat import (CorruptCheckpointError,
                                         UnsafeCheckpointError)

    filename = os.fspath(filename)
    if not is_remote(filename):
        expanded = os.path.expanduser(filename)
        if not os.path.isfile(expanded):
            raise FileNotFoundError(
                f'checkpoint file not found: {filename} '
                f'(resolved to {os.path.abspath(expanded)})')
    try:
        return CheckpointLoader.load_checkpoint(
            filename, map_location=map_location)
    except FileNotFoundError:
        raise
    except (UnsafeCheckpointError, CorruptCheckpointError) as err:
        raise CheckpointReadError(str(err)) from err
    except Exception as err:  # noqa: BLE001 - re-raised with the file name
        raise CheckpointReadError(
            f'could not read {filename} as a PyTorch checkpoint '
            f'({type(err).__name__}: {err}). JAX/TensorFlow releases (e.g. '
            'the official DetCon and SimCLR ones) must first be converted '
            'to PyTorch tensors with torchvision ResNet key names.') from err


def _tensor_items(mapping: Mapping) -> 'OrderedDict[str, torch.Tensor]':
    return OrderedDict((k, v) for k, v in mapping.items()
                       if isinstance(k, str) and isinstance(v, torch.Tensor))


def _vissl_state_dict(
        checkpoint: Mapping) -> Optional['OrderedDict[str, torch.Tensor]']:
    """Flatten a VISSL model-zoo checkpoint (SimCLR, SwAV, MoCo, ...).

    VISSL keeps the trunk under ``classy_state_dict.base_model.model.trunk``
    with keys ``_feature_blocks.<torchvision name>`` and the heads beside it.
    """
    try:
        model = checkpoint['classy_state_dict']['base_model']['model']
        trunk = model['trunk']
    except (KeyError, TypeError):
        return None
    out = OrderedDict()
    for key, value in _tensor_items(trunk).items():
        out[key[len('_feature_blocks.'):] if key.startswith('_feature_blocks.'
                                                            ) else key] = value
    for key, value in _tensor_items(model.get('heads', {})).items():
        out['heads.' + key] = value
    return out


def extract_state_dict(
        checkpoint: Any) -> Tuple['OrderedDict[str, torch.Tensor]', str]:
    """Find the flat ``name -> tensor`` mapping inside a loaded checkpoint.

    Args:
        checkpoint: what :func:`load_checkpoint_file` returned.

    Returns:
        ``(state_dict, container)``: the tensors (non-tensor entries such as
        MMEngine's ``_metadata`` are left out) and where they were found:
        ``'state_dict'``, ``'model'``, VISSL's
        ``'classy_state_dict.base_model.model'``, or ``''`` for a bare state
        dict.

    Raises:
        ValueError: no mapping of tensors was found.
    """
    if not isinstance(checkpoint, Mapping):
        raise ValueError(
            'expected a checkpoint dict, got a '
            f'{type(checkpoint).__name__}; whole pickled modules are not '
            'read, save their state_dict() instead')
    for name in STATE_DICT_CONTAINERS:
        inner = checkpoint.get(name)
        if isinstance(inner, Mapping):
            tensors = _tensor_items(inner)
            if tensors:
                return tensors, name
    vissl = _vissl_state_dict(checkpoint)
    if vissl:
        return vissl, 'classy_state_dict.base_model.model'
    tensors = _tensor_items(checkpoint)
    if tensors:
        return tensors, ''
    raise ValueError(
        'found no tensors in the checkpoint; its top-level entries are '
        f'{sorted(map(str, checkpoint.keys()))}')


def strip_wrapper_prefix(
    state_dict: Mapping[str, torch.Tensor],
    prefix: str = WRAPPER_PREFIX
) -> Tuple['OrderedDict[str, torch.Tensor]', bool]:
    """Remove a leading ``module.`` (DataParallel / DDP) from every key.

    Returns:
        ``(state_dict, stripped)``; keys are left untouched when removing the
        prefix would make two keys collide.
    """
    if not any(k.startswith(prefix) for k in state_dict):
        return OrderedDict(state_dict), False
    out = OrderedDict()
    for key, value in state_dict.items():
        out[key[len(prefix):] if key.startswith(prefix) else key] = value
    if len(out) != len(state_dict):
        return OrderedDict(state_dict), False
    return out, True


def checkpoint_meta(checkpoint: Any) -> Dict[str, Any]:
    """The ``meta`` dict of an MMEngine / mmcv checkpoint, or ``{}``."""
    if isinstance(checkpoint, Mapping) and isinstance(
            checkpoint.get('meta'), Mapping):
        return dict(checkpoint['meta'])
    return {}


def checkpoint_config_text(checkpoint: Any) -> Optional[str]:
    """The training configuration a checkpoint carries, as text, or None.

    MMEngine writes it to ``meta['cfg']``, mmcv 1.x runners to
    ``meta['config']``; DetCon-PyTorch stores a ``config`` dict, PyTorch
    Lightning ``hyper_parameters``; MoCo / SimCLR scripts only an ``arch``.
    """
    meta = checkpoint_meta(checkpoint)
    for key in ('cfg', 'config'):
        if isinstance(meta.get(key), str):
            return meta[key]
    if not isinstance(checkpoint, Mapping):
        return None
    for key in ('config', 'hyper_parameters', 'hparams'):
        value = checkpoint.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, Mapping):
            return repr(dict(value))
    if isinstance(checkpoint.get('arch'), str):
        return f"arch='{checkpoint['arch']}'"
    return None


def top_level_prefix(key: str) -> str:
    """The first component of a key with its dot (``'backbone.'``).

    A leading ``module.`` wrapper is kept together with the next component
    (``'module.encoder_q.'``); a key without a further dot is returned as it
    is (``'queue'``, ``'module.queue'``).
    """
    parts = key.split('.')
    if parts[0] == 'module' and len(parts) > 1:
        return key if len(parts) == 2 else '.'.join(parts[:2]) + '.'
    return key if len(parts) == 1 else parts[0] + '.'


def summarize_prefixes(keys: Iterable[str]) -> 'OrderedDict[str, int]':
    """Count keys per :func:`top_level_prefix`, in order of appearance."""
    counts: Counter = Counter()
    order: List[str] = []
    for key in keys:
        prefix = top_level_prefix(key)
        if prefix not in counts:
            order.append(prefix)
        counts[prefix] += 1
    return OrderedDict((p, counts[p]) for p in order)


def format_prefixes(keys: Iterable[str], limit: int = 20) -> str:
    """``"backbone. (122), neck. (4)"``: the key prefixes with counts."""
    summary = summarize_prefixes(keys)
    if not summary:
        return '(none)'
    items = [f'{p} ({n})' for p, n in summary.items()]
    if len(items) > limit:
        items = items[:limit] + [f'... {len(items) - limit} more']
    return ', '.join(items)


def format_keys(keys: Iterable[str], limit: int = 30) -> str:
    """A comma-separated list of keys, cut after ``limit`` with a count."""
    keys = list(keys)
    shown = ', '.join(keys[:limit])
    if len(keys) > limit:
        shown += f', ... and {len(keys) - limit} more'
    return shown


def find_common_prefix(source_keys: Iterable[str],
                       target_keys: Iterable[str]) -> Optional[str]:
    """The prefix that, removed from ``source_keys``, best gives
    ``target_keys``.

    Used to suggest ``prefix='backbone.'`` when a whole-model checkpoint is
    loaded into a backbone. Returns None when no key matches that way.
    """
    targets = set(target_keys)
    votes: Counter = Counter()
    for key in source_keys:
        parts = key.split('.')
        for i in range(1, len(parts)):
            if '.'.join(parts[i:]) in targets:
                votes['.'.join(parts[:i]) + '.'] += 1
                break
    if not votes:
        return None
    return votes.most_common(1)[0][0]
