"""Choosing the online ResNet encoder of a checkpoint and checking it.

The steps of :func:`hpse_bench.checkpoint.export.extract_backbone` up to the
tensors to write: open the file, resolve its source, take the online encoder
(from the source's layout or from a prefix the user names), check it against
a reference ResNet of its depth and widths, and convert it to plain keys.
Every refusal names the file, the key prefixes found in it and the ResNets
found, so that the right ``--source`` / ``--prefix`` can be chosen from the
message alone.
"""
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, NoReturn, Optional, Tuple

import torch

from .errors import BackboneExportError
from .io import (WRAPPER_PREFIX, extract_state_dict, format_keys,
                 format_prefixes, is_remote, load_checkpoint_file,
                 strip_wrapper_prefix)
from .layouts import CHECKPOINT_LAYOUTS, detect_source, encoder_role
from .resnet import (STANDARD_WIDTHS, ResNetEncoder, check_against_reference,
                     detect_resnet_depth, detect_resnet_widths,
                     find_resnet_encoders, resnet_shapes)


@dataclass
class OpenedCheckpoint:
    """A loaded checkpoint and its tensors (a ``module.`` wrapper removed).

    Attributes:
        filename: the file, as given.
        checkpoint: what the file holds.
        state_dict: its tensors, without the wrapper prefix.
        container: where they were found (``'state_dict'``, ``'model'``...).
        wrapper: ``'module.'`` when the keys carried it, else ``''``.
        encoders: every ResNet found, by prefix (wrapper removed).
    """
    filename: str
    checkpoint: Any
    state_dict: Dict[str, torch.Tensor]
    container: str
    wrapper: str
    encoders: Dict[str, ResNetEncoder]

    def refuse(self, problem: str) -> NoReturn:
        """Raise :class:`BackboneExportError` with what the file holds."""
        wrapper = self.wrapper
        found = format_prefixes(wrapper + k for k in self.state_dict)
        listed = ', '.join(
            ((wrapper + p) or '(root)') +
            (' [momentum]' if encoder_role(p) == 'momentum' else '')
            for p in self.encoders) or 'none'
        raise BackboneExportError(
            f'{self.filename}: {problem}\n  key prefixes found: {found}\n'
            f'  ResNet encoders found: {listed}')


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


def open_checkpoint(filename: str, map_location: Any) -> OpenedCheckpoint:
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
    return OpenedCheckpoint(filename, checkpoint, state_dict, container,
                            WRAPPER_PREFIX if wrapped else '',
                            find_resnet_encoders(state_dict))


def _prefix_hint(opened: OpenedCheckpoint) -> str:
    names = [(opened.wrapper + p) or "''" for p in opened.encoders
             if encoder_role(p) != 'momentum']
    if not names:
        return ''
    return (f'; name the online encoder with --prefix {names[0]} '
            '(prefix= in the API) and record the method with --method NAME')


def resolve_source(opened: OpenedCheckpoint, source: str,
                   prefix: Optional[str]) -> Tuple[str, str]:
    """``(source, reason)``: the given source, or the detected one.

    With a ``prefix``, a checkpoint of no known layout gets the source
    ``'unknown'`` instead of a refusal.
    """
    if source != 'auto':
        return source, 'given'
    detected, reason = detect_source(opened.checkpoint, opened.state_dict,
                                     opened.encoders)
    if detected is not None:
        return detected, reason
    if prefix is not None:
        return 'unknown', 'no known layout; encoder named by --prefix'
    if not opened.encoders:
        opened.refuse("no ResNet backbone found (a ResNet needs "
                      "'conv1.weight' and 'layer1.0.conv1.weight' under one "
                      'prefix)')
    where = ', '.join(f"'{opened.wrapper + p}'" for p in opened.encoders)
    opened.refuse(f'a ResNet was found under {where}, but no known layout '
                  'keeps its online encoder there' + _prefix_hint(opened))


def _named_encoder(opened: OpenedCheckpoint, prefix: str) -> ResNetEncoder:
    """The ResNet under a prefix the user gave (``module.`` optional)."""
    if prefix and not prefix.endswith('.'):
        prefix += '.'
    shown = prefix
    if opened.wrapper and prefix.startswith(opened.wrapper):
        prefix = prefix[len(opened.wrapper):]
    if prefix not in opened.encoders:
        opened.refuse(f"no ResNet under prefix '{shown}' (given by "
                      '--prefix)')
    if encoder_role(prefix) == 'momentum':
        opened.refuse(f"'{shown}' is a momentum/target copy of the encoder; "
                      'the export takes online encoders only')
    return opened.encoders[prefix]


def online_encoder(opened: OpenedCheckpoint, source: str,
                   prefix: Optional[str]) -> ResNetEncoder:
    """The encoder under ``prefix`` if given, else the first of the
    layout's online prefixes that holds a ResNet."""
    if prefix is not None:
        return _named_encoder(opened, prefix)
    layout = CHECKPOINT_LAYOUTS[source]
    encoders = opened.encoders
    chosen = next(
        (encoders[p] for p in layout.online_prefixes if p in encoders), None)
    if chosen is not None:
        return chosen
    wanted = ', '.join(f"'{p}'" if p else '(root)'
                       for p in layout.online_prefixes)
    momentum = [p for p in encoders if encoder_role(p) == 'momentum']
    note = (' (only momentum/target encoders were found; they are never '
            'exported)' if momentum and len(momentum) == len(encoders) else
            _prefix_hint(opened))
    opened.refuse(f"no online ResNet encoder for source '{source}' "
                  f'(looked under {wanted}){note}')


def _problems(check: Any, against: str) -> List[str]:
    real_missing = [
        k for k in check.missing if not k.endswith('num_batches_tracked')
    ]
    problems = []
    if real_missing:
        problems.append(f'missing keys: {format_keys(real_missing)}')
    if check.unexpected:
        problems.append(f'unexpected keys: {format_keys(check.unexpected)}')
    if check.shape_mismatch:
        problems.append(f'shape mismatches (checkpoint vs {against}): ' +
                        format_keys(
                            f'{k} {a} vs {b}'
                            for k, (a, b) in check.shape_mismatch.items()))
    return problems


def checked_architecture(opened: OpenedCheckpoint,
                         chosen: ResNetEncoder) -> Tuple[int, int, int]:
    """``(depth, stem_channels, base_channels)`` of the encoder, after
    checking every tensor against a reference ResNet of those sizes.

    torchvision's widths (64, 64) are tried first; other widths are accepted
    when the whole encoder is consistent with them (mmpretrain's
    ``ResNet(depth, stem_channels, base_channels)``). A refusal reports the
    differences from torchvision's ResNet of the depth.
    """
    where = f"'{opened.wrapper}{chosen.prefix}'"
    try:
        depth = detect_resnet_depth(chosen.backbone_keys)
    except ValueError as err:
        opened.refuse(f'the encoder under {where} is not a standard '
                      f'ResNet: {err}')
    standard = _problems(
        check_against_reference(chosen.state_dict, depth), f'resnet{depth}')
    if not standard:
        return (depth, ) + STANDARD_WIDTHS
    widths = detect_resnet_widths(chosen.state_dict)
    if widths != STANDARD_WIDTHS and not _problems(
            check_against_reference(chosen.state_dict, depth, *widths), ''):
        return (depth, ) + widths
    opened.refuse(f'the encoder under {where} does not match '
                  f"torchvision's resnet{depth}, nor a ResNet-{depth} with "
                  f'stem_channels={widths[0]}, base_channels={widths[1]} '
                  '(wide bottlenecks, deep stems and modified ResNets are '
                  'not plain ResNets): ' + '; '.join(standard))


def plain_tensors(
        chosen: ResNetEncoder, depth: int, stem_channels: int,
        base_channels: int) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """The tensors to write, in torchvision's key order, and the keys
    filled in because the checkpoint lacks them."""
    exported: Dict[str, torch.Tensor] = {}
    filled: List[str] = []
    for key in resnet_shapes(depth, stem_channels, base_channels):
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
