"""Where each public release keeps its online ResNet encoder.

Keys below are given after the container is opened (``state_dict``,
``model``, VISSL's trunk; see :func:`hpse_bench.checkpoint.io.
extract_state_dict`) and a DataParallel ``module.`` wrapper is removed.
docs/export.md lists the releases each layout was checked against.

- hpse_bench / mmpretrain / mmpose: online ``backbone.``; mmpretrain's
  momentum copies are ``encoder_k.module.0.`` (MoCo, DenseCL),
  ``target_net.module.0.`` (BYOL) and ``momentum_encoder.module.0.``
  (MoCoV3); ``neck.``, ``head.``, ``keypoint_head.`` are dropped.
- mmselfsup: 1.x as mmpretrain; 0.x also has ``encoder_q.0.`` /
  ``online_net.0.`` (the same module as ``backbone.``) and the momentum
  copies ``encoder_k.0.`` / ``target_net.0.``.
- torchvision: the root; ``fc.`` dropped.
- moco: ``encoder_q.`` (v1, v2) or ``base_encoder.`` (v3); momentum
  ``encoder_k.`` / ``momentum_encoder.``; ``fc`` heads, ``predictor.``,
  ``queue`` dropped.
- simclr: the root (TF conversions, VISSL trunk), ``backbone.``
  (sthalles/SimCLR), ``encoder.`` (Spijkervet/SimCLR, Lightning Bolts) or
  ``convnet.``; projection heads dropped.
- simsiam: ``encoder.``; ``encoder.fc.`` (projector) and ``predictor.``
  dropped.
- swav: the root; ``projection_head.`` and ``prototypes.`` dropped.
- detcon: the root (PyTorch conversions of the JAX release), or
  DetCon-PyTorch's ``online_network.encoder.`` (sequential naming) /
  ``online_network.C1-C5`` (stage naming); ``target_network.`` is its
  momentum copy.
- peclr: the root (the released files, converted to torchvision keys) or
  ``encoder.features.`` (sequential naming, its Lightning training
  checkpoints); ``projection_head.`` and ``encoder.final_layer.`` dropped.
"""
import ast
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

import torch

from .io import checkpoint_config_text, checkpoint_meta
from .resnet import ResNetEncoder

# Names under which the algorithms keep a momentum (EMA / target / key /
# teacher) copy of the encoder. An encoder whose prefix contains one of them
# is never exported: the study fine-tunes the online encoder, the one trained
# by gradient descent.
MOMENTUM_NAMES = frozenset({
    'encoder_k', 'momentum_encoder', 'target_net', 'target_network',
    'target_encoder', 'target_backbone', 'teacher', 'momentum_backbone',
    'ema_backbone', 'key_encoder', 'momentum_net', 'ema_model', 'ema'
})


def encoder_role(prefix: str) -> str:
    """``'momentum'`` when a component of ``prefix`` names a momentum copy."""
    parts = set(prefix.rstrip('.').split('.'))
    return 'momentum' if parts & MOMENTUM_NAMES else 'other'


def _default_method(name: str) -> Callable[..., str]:
    return lambda state_dict, prefix, checkpoint: name


def _moco_method(state_dict: Mapping[str, torch.Tensor], prefix: str,
                 checkpoint: Any) -> str:
    # v3 renamed the encoders; v2 differs from v1 by its MLP head (fc.0/fc.2
    # instead of one linear fc), see facebookresearch/moco's builder.
    if prefix.startswith('base_encoder.'):
        return 'MoCo v3'
    if any(k.startswith(prefix + 'fc.0.') for k in state_dict):
        return 'MoCo v2'
    return 'MoCo v1'


def _assignments(text: str) -> Dict[str, ast.expr]:
    """Top-level ``name = value`` of a stored config, parsed, never run.

    A stored config is text from an untrusted file: it is read with
    :func:`ast.parse` only. A dict literal (how some scripts store their
    config) gives its string keys.
    """
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    out: Dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = node.value
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Dict):
            out.update(_dict_items(node.value))
    return out


def _dict_items(node: ast.expr) -> Dict[str, ast.expr]:
    """The string keys of ``dict(k=v)`` / ``{'k': v}`` and their values."""
    if isinstance(node, ast.Call) and isinstance(
            node.func, ast.Name) and node.func.id == 'dict':
        return {kw.arg: kw.value for kw in node.keywords if kw.arg}
    if isinstance(node, ast.Dict):
        return {
            k.value: v
            for k, v in zip(node.keys, node.values)
            if isinstance(k, ast.Constant) and isinstance(k.value, str)
        }
    return {}


def _string(node: Optional[ast.expr]) -> Optional[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


@dataclass(frozen=True)
class StoredConfig:
    """What the export reads from a checkpoint's stored config.

    Attributes:
        default_scope: ``default_scope`` of the config.
        model_type: ``model['type']`` as written (``'JointCon'``,
            ``'mmpretrain.MoCo'``).
        model_scope: ``model['_scope_']``.
    """
    default_scope: Optional[str] = None
    model_type: Optional[str] = None
    model_scope: Optional[str] = None


def stored_config(checkpoint: Any) -> StoredConfig:
    """Parse the config a checkpoint carries (MMEngine's ``pretty_text``,
    mmcv's config text, a repr'd dict), whatever the order of its keys."""
    text = checkpoint_config_text(checkpoint)
    if not text:
        return StoredConfig()
    top = _assignments(text)
    model = _dict_items(top['model']) if 'model' in top else {}
    return StoredConfig(
        _string(top.get('default_scope')), _string(model.get('type')),
        _string(model.get('_scope_')))


def config_model_type(checkpoint: Any) -> Optional[str]:
    """The ``model = dict(type=...)`` of the config a checkpoint carries."""
    return stored_config(checkpoint).model_type


def config_default_scope(checkpoint: Any) -> Optional[str]:
    """The ``default_scope`` of the config a checkpoint carries."""
    return stored_config(checkpoint).default_scope


def unknown_method(why: str) -> str:
    """What the meta records when the method cannot be told."""
    return f'unknown ({why}; pass --method NAME)'


def _openmmlab_method(scope: str, fallback: str) -> Callable[..., str]:
    """The model's registered type, qualified by the registry it is built
    from unless that is hpse_bench's own: ``'JointCon'``,
    ``'mmpretrain.MoCo'``, ``'mmpose.TopdownPoseEstimator'``."""

    def method(state_dict, prefix, checkpoint):
        cfg = stored_config(checkpoint)
        if not cfg.model_type:
            return fallback
        owner, _, name = cfg.model_type.rpartition('.')
        owner = owner or cfg.model_scope or cfg.default_scope or scope
        return name if owner == 'hpse_bench' else f'{owner}.{name}'

    return method


@dataclass(frozen=True)
class CheckpointLayout:
    """How one source lays out its checkpoints.

    Attributes:
        source: the ``--source`` name.
        online_prefixes: prefixes of the online encoder, in order of
            preference ('' is the root); the first one holding a ResNet is
            taken.
        releases: the public releases / codebases this layout covers.
        method: ``(state_dict, prefix, checkpoint) -> str``, the pre-training
            method recorded in the export's meta.
    """
    source: str
    online_prefixes: Tuple[str, ...]
    releases: str
    method: Callable[[Mapping[str, torch.Tensor], str, Any], str]


CHECKPOINT_LAYOUTS: Dict[str, CheckpointLayout] = {
    layout.source: layout
    for layout in (
        CheckpointLayout(
            'hpse_bench', ('backbone.', ),
            'MMEngine checkpoints of hpse_bench runs (pre-training or '
            'fine-tuning)',
            _openmmlab_method('hpse_bench',
                              unknown_method('no config in the checkpoint'))),
        CheckpointLayout(
            'mmpretrain', ('backbone.', ),
            'mmpretrain 1.x / mmcls checkpoints: classifiers and '
            'mmpretrain.models.selfsup algorithms',
            _openmmlab_method('mmpretrain',
                              unknown_method('no config in the checkpoint'))),
        CheckpointLayout(
            'mmselfsup', ('backbone.', 'encoder_q.0.', 'online_net.0.'
                          ), 'mmselfsup 0.x (mmcv runner) and 1.x checkpoints',
            _openmmlab_method('mmselfsup',
                              unknown_method('no config in the checkpoint'))),
        CheckpointLayout('mmpose', (
            'backbone.', ), 'mmpose 0.x / 1.x top-down pose estimators',
                         _openmmlab_method('mmpose', '2D pose (mmpose)')),
        CheckpointLayout('torchvision', (
            '', ), 'torchvision ResNet state dicts (with fc)',
                         _default_method('torchvision ResNet weights')),
        CheckpointLayout(
            'moco', ('encoder_q.', 'base_encoder.'),
            'facebookresearch/moco (v1, v2) and moco-v3 main_moco.py '
            'checkpoints', _moco_method),
        CheckpointLayout(
            'simclr', ('', 'backbone.', 'encoder.', 'convnet.'),
            'TF-to-PyTorch conversions with torchvision keys, VISSL model '
            "zoo, sthalles/SimCLR ('backbone.'), Spijkervet/SimCLR and "
            "PyTorch Lightning Bolts ('encoder.'), 'convnet.' conversions",
            _default_method('SimCLR')),
        CheckpointLayout('simsiam', (
            'encoder.', ), 'facebookresearch/simsiam main_simsiam.py',
                         _default_method('SimSiam')),
        CheckpointLayout(
            'swav', ('', ), 'facebookresearch/swav (training checkpoints and '
            'torch.hub release), VISSL model zoo', _default_method('SwAV')),
        CheckpointLayout(
            'detcon', ('', 'online_network.encoder.', 'online_network.'),
            'PyTorch conversions of the JAX release (torchvision keys), '
            'DetCon-PyTorch training checkpoints', _default_method('DetCon')),
        CheckpointLayout(
            'peclr', ('', 'encoder.features.'),
            'dahiyaaneesh/peclr release (torchvision keys) and its '
            'Lightning training checkpoints', _default_method('PeCLR')),
    )
}

SOURCES = tuple(CHECKPOINT_LAYOUTS)

# default_scope of an OpenMMLab config -> source.
_SCOPE_SOURCES = {
    'hpse_bench': 'hpse_bench',
    'mmpretrain': 'mmpretrain',
    'mmcls': 'mmpretrain',
    'mmselfsup': 'mmselfsup',
    'mmpose': 'mmpose',
}


def detect_source(
        checkpoint: Any, state_dict: Mapping[str, torch.Tensor],
        encoders: Mapping[str, ResNetEncoder]) -> Tuple[Optional[str], str]:
    """Guess the source of a checkpoint from its meta and its keys.

    Args:
        checkpoint: the loaded file.
        state_dict: its tensors, ``module.`` removed.
        encoders: :func:`find_resnet_encoders` of ``state_dict``.

    Returns:
        ``(source, reason)``; source is None when nothing matches.
    """

    def has_keys(*prefixes: str) -> bool:
        return any(k.startswith(prefixes) for k in state_dict)

    if 'encoder_q.' in encoders or 'base_encoder.' in encoders:
        return 'moco', ("a ResNet under 'encoder_q.'/'base_encoder.' "
                        '(official MoCo layout)')
    if 'backbone.' in encoders:
        scope = config_default_scope(checkpoint)
        if scope in _SCOPE_SOURCES:
            return _SCOPE_SOURCES[scope], (
                f"'backbone.' encoder and default_scope='{scope}' in the "
                "checkpoint's config")
        meta = checkpoint_meta(checkpoint)
        for key, source in (('mmselfsup_version', 'mmselfsup'),
                            ('mmpose_version', 'mmpose'), ('mmcls_version',
                                                           'mmpretrain'),
                            ('mmpretrain_version', 'mmpretrain')):
            if key in meta:
                return source, f"'backbone.' encoder and meta['{key}']"
        if set(encoders) & {
                'encoder_q.0.', 'encoder_k.0.', 'online_net.0.',
                'target_net.0.'
        }:
            return 'mmselfsup', ("'backbone.' with 'encoder_q.0.'/"
                                 "'online_net.0.' copies (mmselfsup 0.x)")
        if has_keys('keypoint_head.', 'head.final_layer.',
                    'head.deconv_layers.'):
            return 'mmpose', "'backbone.' with a heatmap head (mmpose)"
        if has_keys('backbone.fc.'):
            return 'simclr', ("'backbone.' holding a torchvision ResNet "
                              'with fc (sthalles/SimCLR)')
        return 'mmpretrain', "'backbone.' encoder (OpenMMLab layout)"
    if 'encoder.features.' in encoders:
        return 'peclr', "a ResNet as 'encoder.features.0-7' (PeCLR training)"
    if any(p.startswith('online_network.') for p in encoders):
        return 'detcon', "'online_network.'/'target_network.' (DetCon-PyTorch)"
    if 'encoder.' in encoders:
        if has_keys('predictor.'):
            return 'simsiam', "'encoder.' with 'predictor.' (SimSiam)"
        return 'simclr', "'encoder.' encoder (SimCLR / Lightning Bolts)"
    if 'convnet.' in encoders:
        return 'simclr', "'convnet.' encoder (SimCLR conversion)"
    if '' in encoders:
        if has_keys('projection_head.', 'prototypes.'):
            return 'swav', ("root ResNet with 'projection_head.'/"
                            "'prototypes.' (SwAV)")
        return 'torchvision', ('root ResNet (torchvision layout; pass '
                               '--source to record the pre-training method)')
    return None, 'no ResNet found'
