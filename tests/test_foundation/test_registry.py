"""Registries, scopes and the plugin path into other OpenMMLab projects."""
import pytest
from mmengine import Config, DefaultScope
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import init_default_scope

import hpse_bench
from hpse_bench import registry


def test_registries_are_children_of_mmengine_root():
    for name in ('MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'HOOKS',
                 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS'):
        reg = getattr(registry, name)
        assert reg.scope == 'hpse_bench'
        assert reg.parent is not None and reg.parent.scope == 'mmengine'
    assert registry.MODELS.parent is MMENGINE_MODELS


def test_register_all_modules_sets_default_scope():
    hpse_bench.register_all_modules(init_default_scope=True)
    assert DefaultScope.get_current_instance().scope_name == 'hpse_bench'


def test_hpse_bench_config_builds_other_libraries_modules():
    init_default_scope('hpse_bench')
    backbone = registry.MODELS.build(
        dict(type='mmpretrain.ResNet', depth=18, out_indices=(3, )))
    assert type(backbone).__module__.startswith('mmpretrain')


def test_plugin_into_an_mmpose_scoped_config(tmp_path):
    """custom_imports=['hpse_bench'] makes our modules buildable from mmpose."""
    cfg_file = tmp_path / 'mmpose_project.py'
    cfg_file.write_text(
        "default_scope = 'mmpose'\n"
        "custom_imports = dict(imports=['hpse_bench'], "
        "allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='hpse_bench.ReplicaConsistencyHook')]\n"
        "body_model = dict(type='hpse_bench.SMPL')\n")
    cfg = Config.fromfile(str(cfg_file))
    from mmengine.utils import import_modules_from_strings
    import_modules_from_strings(**cfg.custom_imports)
    from mmpose.registry import HOOKS as MMPOSE_HOOKS
    from mmpose.registry import MODELS as MMPOSE_MODELS

    with DefaultScope.overwrite_default_scope('mmpose'):
        hook = MMPOSE_HOOKS.build(cfg.custom_hooks[0])
        body_model = MMPOSE_MODELS.build(cfg.body_model)
    assert type(hook).__name__ == 'ReplicaConsistencyHook'
    assert type(body_model).__module__.startswith('hpse_bench')


def test_unknown_type_names_the_type_and_registry():
    init_default_scope('hpse_bench')
    with pytest.raises(KeyError) as err:
        registry.MODELS.build(dict(type='JointConTypo'))
    msg = str(err.value)
    assert 'JointConTypo' in msg and 'hpse_bench' in msg
