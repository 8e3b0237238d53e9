"""Export the online ResNet encoder of a pre-training checkpoint.

The exported file is ``{'state_dict': plain ResNet keys, 'meta': {...}}``
holding tensors and plain Python values only, so that it

- loads with ``strict=True`` into torchvision's ResNet without ``fc`` and
  into mmpretrain's / mmpose's / mmcv 1.x's (mmhuman3d's) ``ResNet``;
- loads through ``init_cfg=dict(type='Pretrained', checkpoint=...)`` with no
  ``prefix``;
- loads under ``torch.load(..., weights_only=True)``.
"""
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

import torch

from hpse_bench.utils.fileio import atomic_write
from hpse_bench.version import __version__
from .errors import BackboneExportError
from .io import (WRAPPER_PREFIX, checkpoint_config_text, extract_state_dict,
                 file_sha256, format_keys, format_prefixes, is_remote,
                 load_checkpoint_file, strip_wrapper_prefix,
                 summarize_prefixes)
from .layouts import CHECKPOINT_LAYOUTS, SOURCES, detect_source, encoder_role
from .resnet import (ResNetEncoder, check_against_reference,
                     detect_resnet_depth, find_resnet_encoders,
                     reference_resnet_shapes)


@dataclass
class BackboneExport:
    """An extracted backbone and what was left behind.

    Attributes:
        state_dict: plain ResNet keys -> tensors, in torchvision's order.
        meta: what the exported file records (plain Python values).
        dropped: ``prefix -> (tensor count, what it is)`` for the tensors of
            the checkpoint that were not written.
    """
    state_dict: Dict[str, torch.Tensor] = field(repr=False)
    meta: Dict[str, Any]
    dropped: Dict[str, tuple] = field(default_factory=dict)

    def summary(self) -> List[str]:
        """Human-readable lines: source, encoder taken, what was dropped."""
        meta = self.meta
        encoder = meta['encoder'] or '(root)'
        lines = [
            f"source: {meta['source']} ({meta['source_reason']})",
            f"method: {meta['method']}",
            f"encoder taken: {encoder} [online]"
            f" ({meta['encoder_naming']} naming)",
        ]
        for prefix, role in meta['not_taken'].items():
            lines.append(f'encoder not taken: {prefix or "(root)"} [{role}]')
        lines.append(f"backbone: {meta['arch']}, "
                     f"{len(self.state_dict)} tensors")
        if meta['filled']:
            lines.append(f"filled with 0 (absent from the checkpoint): "
                         f"{format_keys(meta['filled'], limit=5)}")
        for prefix, (count, what) in self.dropped.items():
            plural = 's' if count != 1 else ''
            lines.append(f'dropped: {prefix} ({count} tensor{plural}, '
                         f'{what})')
        return lines


def _refuse(filename: str, problem: str, state_dict: Dict[str, torch.Tensor],
            encoders: Dict[str, ResNetEncoder], wrapper: str) -> None:
    found = format_prefixes(wrapper + k for k in state_dict)
    if encoders:
        listed = ', '.join(
            ((wrapper + p) or '(root)') +
            (' [momentum]' if encoder_role(p) == 'momentum' else '')
            for p in encoders)
    else:
        listed = 'none'
    raise BackboneExportError(
        f'{filename}: {problem}\n  key prefixes found: {found}\n'
        f'  ResNet encoders found: {listed}')


def _same_tensors(a: ResNetEncoder, b: ResNetEncoder) -> bool:
    if set(a.backbone_keys) != set(b.backbone_keys):
        return False
    return all(a.state_dict[k].shape == b.state_dict[k].shape
               and torch.equal(a.state_dict[k], b.state_dict[k])
               for k in a.backbone_keys)


def _undo_ema_swap(
        state_dict: Dict[str, torch.Tensor],
        ema_state: Mapping[str, Any]) -> Tuple[Dict[str, torch.Tensor], str]:
    """The gradient-trained weights of a checkpoint saved with EMAHook.

    MMEngine's ``EMAHook`` saves the averaged weights under ``state_dict``
    and moves the trained ones to ``ema_state_dict`` (as ``module.<key>``).
    The averaged model is a momentum copy: take the trained one back.
    """
    trained = dict(state_dict)
    for key in state_dict:
        value = ema_state.get('module.' + key)
        if isinstance(value, torch.Tensor):
            trained[key] = value
    return trained, 'ema_state_dict (EMAHook moved the trained weights there)'


@dataclass
class _Opened:
    """A loaded checkpoint and its tensors, ``module.`` removed."""
    checkpoint: Any
    state_dict: Dict[str, torch.Tensor]
    container: str
    wrapper: str
    encoders: Dict[str, ResNetEncoder]


def _open(filename: str, map_location: Any) -> _Opened:
    """Load a local checkpoint and find its state dict and ResNets."""
    if is_remote(filename):
        raise BackboneExportError(
            f'{filename}: export reads local files only; download it first '
            '(the export records the SHA-256 of the exact file read)')
    checkpoint = load_checkpoint_file(filename, map_location=map_location)
    try:
        raw, container = extract_state_dict(checkpoint)
    except ValueError as err:
        raise BackboneExportError(f'{filename}: {err}') from err
    if container == 'state_dict' and isinstance(
            checkpoint.get('ema_state_dict'), Mapping):
        raw, container = _undo_ema_swap(raw, checkpoint['ema_state_dict'])
    state_dict, wrapped = strip_wrapper_prefix(raw)
    return _Opened(checkpoint, state_dict, container,
                   WRAPPER_PREFIX if wrapped else '',
                   find_resnet_encoders(state_dict))


def _resolve_source(filename: str, opened: _Opened,
                    source: str) -> Tuple[str, str]:
    """``(source, reason)``: the given source, or the detected one."""
    if source != 'auto':
        return source, 'given'
    detected, reason = detect_source(opened.checkpoint, opened.state_dict,
                                     opened.encoders)
    if detected is None:
        _refuse(
            filename, 'no ResNet backbone found (a ResNet needs '
            "'conv1.weight' and 'layer1.0.conv1.weight' under one "
            'prefix)', opened.state_dict, opened.encoders, opened.wrapper)
    return detected, reason


def _online_encoder(filename: str, opened: _Opened,
                    source: str) -> ResNetEncoder:
    """The first of the layout's online prefixes that holds a ResNet."""
    layout = CHECKPOINT_LAYOUTS[source]
    encoders = opened.encoders
    chosen = next(
        (encoders[p] for p in layout.online_prefixes if p in encoders), None)
    if chosen is None:
        wanted = ', '.join(f"'{p}'" if p else '(root)'
                           for p in layout.online_prefixes)
        momentum = [p for p in encoders if encoder_role(p) == 'momentum']
        note = (' (only momentum/target encoders were found; they are never '
                'exported)'
                if momentum and len(momentum) == len(encoders) else '')
        _refuse(
            filename, f"no online ResNet encoder for source '{source}' "
            f'(looked under {wanted}){note}', opened.state_dict, encoders,
            opened.wrapper)
    return chosen


def _checked_depth(filename: str, opened: _Opened,
                   chosen: ResNetEncoder) -> int:
    """The encoder's depth, after checking it against torchvision's."""
    where = f"'{opened.wrapper}{chosen.prefix}'"
    try:
        depth = detect_resnet_depth(chosen.backbone_keys)
    except ValueError as err:
        _refuse(
            filename, f'the encoder under {where} is not a standard '
            f'ResNet: {err}', opened.state_dict, opened.encoders,
            opened.wrapper)
    check = check_against_reference(chosen.state_dict, depth)
    real_missing = [
        k for k in check.missing if not k.endswith('num_batches_tracked')
    ]
    if real_missing or check.unexpected or check.shape_mismatch:
        problems = []
        if real_missing:
            problems.append(f'missing keys: {format_keys(real_missing)}')
        if check.unexpected:
            problems.append(
                f'unexpected keys: {format_keys(check.unexpected)}')
        if check.shape_mismatch:
            problems.append('shape mismatches (checkpoint vs resnet'
                            f'{depth}): ' + format_keys(
                                f'{k} {a} vs {b}'
                                for k, (a, b) in check.shape_mismatch.items()))
        _refuse(
            filename, f'the encoder under {where} does not match '
            f"torchvision's resnet{depth} (wide, deep-stem or modified "
            'ResNets are not plain ResNets): ' + '; '.join(problems),
            opened.state_dict, opened.encoders, opened.wrapper)
    return depth


def _plain_tensors(chosen: ResNetEncoder,
                   depth: int) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """The tensors to write, in torchvision's order, and the filled keys."""
    exported: Dict[str, torch.Tensor] = {}
    filled: List[str] = []
    for key in reference_resnet_shapes(depth):
        if key in chosen.state_dict:
            # clone: a view would drag its whole storage into the file
            exported[key] = chosen.state_dict[key].detach().clone(
                memory_format=torch.contiguous_format)
        else:
            # num_batches_tracked: the value PyTorch itself gives a missing
            # counter (only used when BatchNorm's momentum is None)
            exported[key] = torch.tensor(0, dtype=torch.long)
            filled.append(key)
    return exported, filled


def _other_encoders(opened: _Opened, chosen: ResNetEncoder) -> Dict[str, str]:
    """Prefix (as in the file) -> role of every ResNet not taken."""
    not_taken: Dict[str, str] = {}
    for prefix, encoder in opened.encoders.items():
        if prefix == chosen.prefix:
            continue
        role = encoder_role(prefix)
        if role != 'momentum' and _same_tensors(encoder, chosen):
            role = 'copy of the online encoder'
        elif role == 'other':
            role = 'other encoder'
        else:
            role = 'momentum encoder'
        not_taken[opened.wrapper + prefix] = role
    return not_taken


def _dropped(opened: _Opened, chosen: ResNetEncoder,
             not_taken: Dict[str, str]) -> Dict[str, tuple]:
    """``prefix -> (tensor count, what it is)`` of what is not written."""
    wrapper = opened.wrapper
    used = set(chosen.source_keys[k] for k in chosen.backbone_keys)
    dropped: Dict[str, tuple] = {}
    head_keys = [
        chosen.source_keys[k] for k in chosen.state_dict if k.startswith('fc.')
    ]
    if head_keys:
        dropped[f'{wrapper}{chosen.prefix}fc.'] = (
            len(head_keys), 'head of the online encoder')
        used.update(head_keys)
    for prefix, encoder in opened.encoders.items():
        if prefix == chosen.prefix:
            continue
        keys = [k for k in encoder.source_keys.values() if k not in used]
        if keys:
            dropped[wrapper + prefix] = (len(keys),
                                         not_taken[wrapper + prefix])
            used.update(keys)
    rest = [k for k in opened.state_dict if k not in used]
    for prefix, count in summarize_prefixes(rest).items():
        what = ('rest of the momentum copy' if encoder_role(prefix)
                == 'momentum' else 'not part of the backbone')
        dropped[wrapper + prefix] = (count, what)
    return dropped


def extract_backbone(filename: str,
                     source: str = 'auto',
                     map_location: Any = 'cpu') -> BackboneExport:
    """Find, check and convert the online ResNet encoder of a checkpoint.

    Args:
        filename: the checkpoint (a local file).
        source: one of :data:`~hpse_bench.checkpoint.layouts.SOURCES` or
            ``'auto'`` (detected from the checkpoint's meta and keys).
        map_location: passed to ``torch.load``.

    Returns:
        The backbone with its meta and the list of what was dropped.

    Raises:
        FileNotFoundError: ``filename`` does not exist.
        BackboneExportError: no online ResNet for ``source``, an unknown
            source, or an encoder that is not a complete standard ResNet;
            the message lists the key prefixes found.
    """
    if source != 'auto' and source not in CHECKPOINT_LAYOUTS:
        raise BackboneExportError(
            f"unknown source '{source}'; expected 'auto' or one of "
            f'{", ".join(SOURCES)}')
    opened = _open(filename, map_location)
    source, reason = _resolve_source(filename, opened, source)
    chosen = _online_encoder(filename, opened, source)
    depth = _checked_depth(filename, opened, chosen)
    exported, filled = _plain_tensors(chosen, depth)
    not_taken = _other_encoders(opened, chosen)
    checkpoint = opened.checkpoint
    meta = dict(
        source=source,
        source_reason=reason,
        method=CHECKPOINT_LAYOUTS[source].method(opened.state_dict,
                                                 chosen.prefix, checkpoint),
        config=checkpoint_config_text(checkpoint),
        sha256=file_sha256(os.path.expanduser(filename)),
        input=os.path.basename(filename),
        container=opened.container,
        encoder=opened.wrapper + chosen.prefix,
        encoder_role='online',
        encoder_naming=chosen.naming,
        not_taken=not_taken,
        depth=depth,
        arch=f'resnet{depth}',
        filled=filled,
        exporter=f'hpse_bench {__version__}',
    )
    return BackboneExport(exported, meta, _dropped(opened, chosen, not_taken))


def export_backbone(filename: str,
                    out: str,
                    source: str = 'auto',
                    method: Optional[str] = None) -> BackboneExport:
    """Extract the online backbone of ``filename`` and write it to ``out``.

    The file is written atomically and read back with
    ``torch.load(weights_only=True)`` before it replaces ``out``.

    Args:
        filename: the checkpoint to read.
        out: the file to write.
        source: see :func:`extract_backbone`.
        method: overrides the pre-training method recorded in the meta
            (e.g. ``'SimSiam'`` for a file in plain torchvision layout).

    Returns:
        What :func:`extract_backbone` returned.
    """
    if os.path.abspath(os.path.expanduser(out)) == os.path.abspath(
            os.path.expanduser(filename)):
        raise BackboneExportError(
            f'{out}: the output would overwrite the input checkpoint')
    result = extract_backbone(filename, source=source)
    if method:
        result.meta['method'] = method
    with atomic_write(out, 'wb') as f:
        torch.save({'state_dict': result.state_dict, 'meta': result.meta}, f)
        f.flush()
        reread = torch.load(f.name, map_location='cpu', weights_only=True)
        if list(reread['state_dict']) != list(result.state_dict):
            raise BackboneExportError(
                f'{out}: the written file does not read back the same keys')
    return result
