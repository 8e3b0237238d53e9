"""Export the online ResNet encoder of a pre-training checkpoint.

The exported file is ``{'state_dict': plain ResNet keys, 'meta': {...}}``
holding tensors and plain Python values only, so that it

- loads with ``strict=True`` into mmpretrain's / mmpose's / mmcv 1.x's
  (mmhuman3d's) ``ResNet`` of the same depth and widths (``meta['backbone']``
  is that ResNet's config) and, at torchvision's widths, into torchvision's
  ResNet without ``fc``;
- loads through ``init_cfg=dict(type='Pretrained', checkpoint=...)`` with no
  ``prefix``;
- loads under ``torch.load(..., weights_only=True)``.
"""
import io
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import torch

from hpse_bench.utils.fileio import atomic_write
from hpse_bench.version import __version__
from .errors import BackboneExportError
from .inventory import dropped_tensors, other_encoders
from .io import checkpoint_config_text, file_sha256, format_keys
from .layouts import CHECKPOINT_LAYOUTS, SOURCES, unknown_method
from .resnet import STANDARD_WIDTHS
from .selection import (checked_architecture, online_encoder, open_checkpoint,
                        plain_tensors, resolve_source)


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
        widths = ('' if meta['torchvision_compatible'] else
                  f" (stem_channels={meta['stem_channels']}, base_channels="
                  f"{meta['base_channels']}: loads into mmpretrain's ResNet "
                  "of these widths, not into torchvision's)")
        lines.append(f"backbone: {meta['arch']}, "
                     f'{len(self.state_dict)} tensors{widths}')
        if meta['filled']:
            lines.append(f"filled with 0 (absent from the checkpoint): "
                         f"{format_keys(meta['filled'], limit=5)}")
        for prefix, (count, what) in self.dropped.items():
            plural = 's' if count != 1 else ''
            lines.append(f'dropped: {prefix} ({count} tensor{plural}, '
                         f'{what})')
        return lines


def extract_backbone(filename: str,
                     source: str = 'auto',
                     map_location: Any = 'cpu',
                     prefix: Optional[str] = None) -> BackboneExport:
    """Find, check and convert the online ResNet encoder of a checkpoint.

    Args:
        filename: the checkpoint (a local file).
        source: one of :data:`~hpse_bench.checkpoint.layouts.SOURCES` or
            ``'auto'`` (detected from the checkpoint's meta and keys).
        map_location: passed to ``torch.load``.
        prefix: take the ResNet under this key prefix (``'net.'``; a
            DataParallel ``module.`` may be left out) instead of the
            source's online prefixes; for layouts no source knows.

    Returns:
        The backbone with its meta and the list of what was dropped.

    Raises:
        FileNotFoundError: ``filename`` does not exist.
        CheckpointReadError: the file cannot be read safely.
        BackboneExportError: no online ResNet for ``source`` / ``prefix``,
            an unknown source, or an encoder that is not a complete ResNet;
            the message lists the key prefixes and ResNets found.
    """
    if source != 'auto' and source not in CHECKPOINT_LAYOUTS:
        raise BackboneExportError(
            f"unknown source '{source}'; expected 'auto' or one of "
            f'{", ".join(SOURCES)}')
    opened = open_checkpoint(filename, map_location)
    source, reason = resolve_source(opened, source, prefix)
    chosen = online_encoder(opened, source, prefix)
    depth, stem, base = checked_architecture(opened, chosen)
    exported, filled = plain_tensors(chosen, depth, stem, base)
    not_taken = other_encoders(opened, chosen)
    layout = CHECKPOINT_LAYOUTS.get(source)
    checkpoint = opened.checkpoint
    backbone = dict(type='ResNet', depth=depth)
    if (stem, base) != STANDARD_WIDTHS:
        backbone.update(stem_channels=stem, base_channels=base)
    meta = dict(
        source=source,
        source_reason=reason,
        method=(layout.method(opened.state_dict, chosen.prefix, checkpoint)
                if layout else unknown_method('layout not recognised')),
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
        stem_channels=stem,
        base_channels=base,
        torchvision_compatible=(stem, base) == STANDARD_WIDTHS,
        backbone=backbone,
        filled=filled,
        exporter=f'hpse_bench {__version__}',
    )
    return BackboneExport(exported, meta,
                          dropped_tensors(opened, chosen, not_taken))


def _write(out: str, result: BackboneExport) -> None:
    """Write atomically, read back under ``weights_only=True``, and name
    the file in any write error (a full disk, a read-only folder)."""
    # Serialised in memory first: torch.save reports a failed write to a
    # file as a bare 'unexpected pos' RuntimeError, a plain write keeps the
    # OSError (errno, cause).
    buffer = io.BytesIO()
    torch.save({'state_dict': result.state_dict, 'meta': result.meta}, buffer)
    existed = os.path.exists(out)
    try:
        with atomic_write(out, 'wb') as f:
            f.write(buffer.getbuffer())
            f.flush()
            reread = torch.load(f.name, map_location='cpu', weights_only=True)
            if list(reread['state_dict']) != list(result.state_dict):
                raise BackboneExportError(
                    f'{out}: the written file does not read back the same '
                    'keys')
    except OSError as err:
        kept = f'; the existing {out} is unchanged' if existed else ''
        raise OSError(
            err.errno, f'{out}: could not be written '
            f'({err.strerror or err}); nothing was written{kept}') from err


def export_backbone(filename: str,
                    out: str,
                    source: str = 'auto',
                    method: Optional[str] = None,
                    prefix: Optional[str] = None) -> BackboneExport:
    """Extract the online backbone of ``filename`` and write it to ``out``.

    The file is written atomically and read back with
    ``torch.load(weights_only=True)`` before it replaces ``out``.

    Args:
        filename: the checkpoint to read.
        out: the file to write.
        source: see :func:`extract_backbone`.
        method: overrides the pre-training method recorded in the meta
            (e.g. ``'SimSiam'`` for a file in plain torchvision layout).
        prefix: see :func:`extract_backbone`.

    Returns:
        What :func:`extract_backbone` returned.

    Raises:
        OSError: ``out`` could not be written (the message names it and the
            cause); no partial file is left and an existing ``out`` is kept.
    """
    if os.path.abspath(os.path.expanduser(out)) == os.path.abspath(
            os.path.expanduser(filename)):
        raise BackboneExportError(
            f'{out}: the output would overwrite the input checkpoint')
    result = extract_backbone(filename, source=source, prefix=prefix)
    if method:
        result.meta['method'] = method
    _write(out, result)
    return result
