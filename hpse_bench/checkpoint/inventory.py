"""What an export leaves behind: the other encoders and the other tensors.

Reported by ``tools/export_backbone.py`` so that a user sees that the online
encoder was taken, which copies were not, and what else the file held.
"""
from typing import Dict

import torch

from .io import summarize_prefixes
from .layouts import encoder_role
from .resnet import ResNetEncoder
from .selection import OpenedCheckpoint


def _same_tensors(a: ResNetEncoder, b: ResNetEncoder) -> bool:
    if set(a.backbone_keys) != set(b.backbone_keys):
        return False
    return all(a.state_dict[k].shape == b.state_dict[k].shape
               and torch.equal(a.state_dict[k], b.state_dict[k])
               for k in a.backbone_keys)


def other_encoders(opened: OpenedCheckpoint,
                   chosen: ResNetEncoder) -> Dict[str, str]:
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


def dropped_tensors(opened: OpenedCheckpoint, chosen: ResNetEncoder,
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
