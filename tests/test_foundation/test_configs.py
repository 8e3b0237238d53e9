"""Every config in configs/ parses, and runnable configs inherit."""
import glob
import os.path as osp
import re

import pytest
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True))
RUNNABLE = [
    p for p in CONFIGS
    if osp.relpath(osp.dirname(p), REPO) in ('configs/pretrain',
                                             'configs/finetune')
]


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.relpath(p, REPO) for p in CONFIGS])
def test_config_parses(path):
    cfg = Config.fromfile(path)
    assert len(cfg.keys()) > 0


@pytest.mark.parametrize(
    'path', RUNNABLE, ids=[osp.relpath(p, REPO) for p in RUNNABLE])
def test_runnable_configs_inherit_and_follow_the_naming_scheme(path):
    with open(path) as f:
        text = f.read()
    assert '_base_' in text, f'{path} does not inherit a base config'
    name = osp.splitext(osp.basename(path))[0]
    if name == 'jointcon':  # the user's short alias of the full J config
        return
    # <method>_<backbone>[w<width>]_<gpus>xb<batch>-<schedule>_<data>
    # [_synthetic]
    assert re.match(
        r'^[a-z0-9-]+_r\d+(w\d+)?_\d+xb\d+-[0-9a-z-]+_[0-9a-z-]+',
        name), name
    cfg = Config.fromfile(path)
    if name.endswith('_synthetic'):
        assert cfg.get('synthetic_data'), f'{name}: no synthetic_data key'


def _on_synthetic_root(value, root):
    default = 'data/synthetic'
    if isinstance(value, str):
        return root + value[len(default):] if value.startswith(
            default) else value
    if isinstance(value, dict):
        return type(value)(
            {k: _on_synthetic_root(v, root)
             for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return type(value)(_on_synthetic_root(v, root) for v in value)
    return value


EVALUATED = [
    p for p in CONFIGS
    if 'val_evaluator' in open(p).read() or 'test_evaluator' in open(p).read()
]


@pytest.mark.parametrize(
    'path', EVALUATED, ids=[osp.relpath(p, REPO) for p in EVALUATED])
def test_evaluators_build_as_the_runner_builds_them(path, synthetic_root):
    """A dict with a 'metrics' key is an Evaluator config to the Runner."""
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner

    import hpse_bench
    hpse_bench.register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(path)
    # Some metrics (mmpose's CocoMetric) read their annotation file when
    # built; synthetic configs get the tiny dataset, not the repo's data/.
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'hpse_bench')):
        for key in ('val_evaluator', 'test_evaluator'):
            if cfg.get(key):
                evaluator = Runner.build_evaluator(
                    None, _on_synthetic_root(cfg[key], synthetic_root))
                assert evaluator.metrics, (key, path)
