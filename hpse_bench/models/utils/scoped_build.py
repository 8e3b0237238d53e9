"""Build an hpse_bench model's parts in hpse_bench's scope.

MMEngine resolves an unprefixed ``type`` in the registry of the *current*
default scope. A config of another library (``default_scope='mmpose'``) that
names ``type='hpse_bench.JointCon'`` switches scope for that one lookup only,
so the model's own parts (``neck=dict(type='ProjectionMLP')``) would be
looked up in mmpose's registry and not be found. Every hpse_bench model
builds its parts with :func:`build_module` instead: unprefixed types resolve
in hpse_bench's registries whatever the caller's scope, and a prefixed
foreign type (``'mmpretrain.ResNet'``, ``'mmpose.HeatmapHead'``) is built in
its own library's scope, so that *its* unprefixed parts
(``loss=dict(type='KeypointMSELoss')``) resolve there. Their weights are
initialised in hpse_bench's scope too (:class:`ScopedInitMixin`), so that
``init_cfg=dict(type='Pretrained')`` is hpse_bench's initialiser, which
refuses a partial load, and not MMEngine's, which only warns.
"""
from importlib import import_module
from typing import Optional, Union

from mmengine.registry import DefaultScope, Registry
from torch import nn

from hpse_bench.registry import MODELS

SCOPE = 'hpse_bench'


def _scope_of(type_name: str) -> str:
    """The scope a ``type`` string is built in: its prefix when that names
    a library with registries, else hpse_bench's."""
    scope, _ = Registry.split_scope_key(type_name)
    if scope is None or scope == SCOPE:
        return SCOPE
    try:
        import_module(f'{scope}.registry')
    except ImportError:
        # A dotted import path (``'torch.nn.Linear'``), not a scope: the
        # registry resolves it from hpse_bench's scope.
        return SCOPE
    return scope


def build_module(cfg: Union[dict, nn.Module, None],
                 registry: Registry = MODELS,
                 **default_args) -> Optional[nn.Module]:
    """Build ``cfg`` from ``registry`` in the scope its ``type`` names.

    Args:
        cfg: a config dict (its ``_scope_``, when given, is respected), an
            already built module (returned as is) or ``None`` (returned).
        registry: hpse_bench registry to build from (``MODELS``,
            ``TASK_UTILS``).
        **default_args: arguments added to ``cfg`` when it lacks them.

    Returns:
        The built module, ``cfg`` itself when it is a module, or ``None``.
    """
    if cfg is None or isinstance(cfg, nn.Module):
        return cfg
    cfg = dict(cfg)
    for key, value in default_args.items():
        cfg.setdefault(key, value)
    obj_type = cfg.get('type')
    if '_scope_' not in cfg:
        cfg['_scope_'] = (
            _scope_of(obj_type) if isinstance(obj_type, str) else SCOPE)
    return registry.build(cfg)


class ScopedInitMixin:
    """``init_weights`` in hpse_bench's scope, whatever the runner's.

    The Runner initialises the model under the config's default scope;
    mixed in before MMEngine's ``BaseModule``, this makes every ``init_cfg``
    of the model resolve in hpse_bench's ``WEIGHT_INITIALIZERS`` (MMEngine's
    own initialisers, ``Kaiming``, ``Constant``..., are found there too).
    """

    def init_weights(self) -> None:
        with DefaultScope.overwrite_default_scope(SCOPE):
            super().init_weights()
