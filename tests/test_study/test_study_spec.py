"""Study configs expand into the right stages; malformed keys, unsafe names
and profiles."""
import os

import pytest
from mmengine.config import Config

from hpse_bench.study.spec import build_stages, fraction_tag
from hpse_bench.study.study_config import (StudyConfigError, choose_profile,
                                           load_study, parallel_settings)

RUNTIME = 'configs/_base_/default_runtime.py'


def _study(**kw):
    base = dict(
        work_root='w',
        fractions=[1.0, 0.1],
        seeds=[0, 1],
        pretrain=dict(scratch=dict(), a=dict(config=RUNTIME)),
        finetune=dict(r=dict(config=RUNTIME)),
        table=dict(columns=[dict(key='m', name='M')]))
    base.update(kw)
    return Config(base)


def test_stage_matrix_and_dependencies():
    stages = build_stages(_study())
    names = [s.name for s in stages]
    # 2 seeds x (pretrain + export) for 'a'; 2 methods x 2 fractions x 2
    # seeds x (finetune + test).
    assert len(stages) == 2 * 2 + 2 * 2 * 2 * 2
    assert len(set(names)) == len(names)
    by_name = {s.name: s for s in stages}
    for s in stages:
        for dep in s.depends:
            assert names.index(dep) < names.index(s.name)
    ft = by_name['finetune/r/a/10p/seed1']
    assert ft.depends == ['export/a/seed1']
    assert ft.cfg_options['train_dataloader.dataset.fraction'] == 0.1
    assert ft.cfg_options['randomness.seed'] == 1
    assert by_name['finetune/r/scratch/100p/seed0'].depends == []
    assert by_name['finetune/r/scratch/100p/seed0'].extra['backbone'] is None
    assert by_name['test/r/a/10p/seed1'].work_dir == os.path.join(
        'w', 'test', 'r', 'a', '10p', 'seed1')


def test_regressor_pairs_only_with_listed_methods():
    stages = build_stages(
        _study(finetune=dict(r=dict(config=RUNTIME, pretrain=['a']))))
    assert not any('scratch' in s.name for s in stages)
    with pytest.raises(StudyConfigError, match='nope'):
        build_stages(
            _study(finetune=dict(r=dict(config=RUNTIME, pretrain=['nope']))))


def test_baseline_and_probe_stages():
    stages = build_stages(
        _study(baselines=True,
               probes=dict(enable=True, cfg_options={'x': 1})))
    by_name = {s.name: s for s in stages}
    # One baseline per regressor; one probe per (method, seed).
    assert [s.name for s in stages if s.kind == 'baseline'] == ['baseline/r']
    assert sorted(s.name for s in stages if s.kind == 'probe') == [
        'probe/a/seed0', 'probe/a/seed1', 'probe/scratch/seed0',
        'probe/scratch/seed1'
    ]
    probe = by_name['probe/a/seed1']
    assert probe.depends == ['export/a/seed1']
    assert probe.extra['backbone'] == os.path.join(
        'w', 'pretrain', 'a', 'seed1', 'export', 'backbone.pth')
    assert probe.cfg_options == {'x': 1} and probe.seed == 1
    scratch = by_name['probe/scratch/seed0']
    assert scratch.depends == [] and scratch.extra['backbone'] is None
    assert by_name['baseline/r'].depends == []
    # Off by default.
    assert not any(s.kind in ('baseline', 'probe')
                   for s in build_stages(_study()))


@pytest.mark.parametrize('field', ['pretrain', 'finetune'])
@pytest.mark.parametrize('name', ['../evil', 'a/b', '.hidden', 'a..b', ''])
def test_names_that_are_not_simple_identifiers_are_refused(field, name):
    if field == 'pretrain':
        study = _study(pretrain={name: dict(config=RUNTIME)})
    else:
        study = _study(finetune={name: dict(config=RUNTIME)})
    with pytest.raises(StudyConfigError) as err:
        build_stages(study)
    assert f'{field}: the name {name!r} must be a simple identifier' in str(
        err.value)


@pytest.mark.parametrize('key, value, expected', [
    ('seeds', 'abc', "seeds: expected a list of integers (e.g. seeds = "
     "[0, 1, 2]), got 'abc'"),
    ('seeds', [0, 'x'], 'seeds: expected a list of integers'),
    ('seeds', [1, 1], 'seeds: [1, 1] repeats a value'),
    ('fractions', [1.5], 'fractions: expected a list of fractions in (0, 1]'),
    ('fractions', None, 'fractions: missing'),
    ('gpus', 0, 'gpus: expected a positive integer, got 0'),
    ('work_root', None, 'work_root: expected a folder path'),
    ('parallel', dict(workers='many'), "parallel.workers: expected 'auto'"),
    ('parallel', dict(threads=2), "parallel: unknown keys ['threads']"),
    ('parallel', dict(threads_per_stage=0),
     'parallel.threads_per_stage: expected a positive integer'),
    ('probes', 'yes', 'probes: expected True/False'),
    ('probes', dict(regressor='nope'), "probes.regressor: 'nope' is not"),
    ('baselines', 'yes', 'baselines: expected True or False'),
    ('code_version', 3, 'code_version: expected None'),
    ('stage_cfg_options', [1], 'stage_cfg_options: expected a dict'),
])
def test_malformed_study_keys_name_the_key(key, value, expected):
    with pytest.raises(StudyConfigError) as err:
        build_stages(_study(**{key: value}))
    assert expected in str(err.value)


def test_malformed_method_and_regressor_specs():
    with pytest.raises(StudyConfigError) as err:
        build_stages(
            _study(pretrain=dict(a=dict(config=3, cfg_options=[1])),
                   finetune=dict(r=dict(cfg_options='x'))))
    text = str(err.value)
    for expected in ('pretrain.a.config: expected a path string, got 3',
                     'pretrain.a.cfg_options: expected a dict',
                     'finetune.r.config: expected the path of a fine-tuning '
                     'config, got None',
                     'finetune.r.cfg_options: expected a dict'):
        assert expected in text


def test_parallel_settings():
    assert parallel_settings(_study(), cuda=False) == dict(
        workers=1, threads_per_stage=None)
    auto = _study(parallel=dict(workers='auto'))
    assert parallel_settings(auto, cuda=False) == dict(
        workers=os.cpu_count(), threads_per_stage=1)
    assert parallel_settings(auto, cuda=True)['workers'] == 1
    set_ = _study(parallel=dict(workers=3, threads_per_stage=2))
    assert parallel_settings(set_, cuda=True) == dict(
        workers=3, threads_per_stage=2)


def _profile_study(tmp_path):
    path = tmp_path / 'study.py'
    path.write_text(f"""
work_root = 'w'
fractions = [1.0]
seeds = [0]
pretrain = dict(a=dict(config={RUNTIME!r}))
finetune = dict(r=dict(config={RUNTIME!r},
                       cfg_options={{'train_cfg.max_epochs': 2,
                                     'default_hooks.logger.interval': 5}}))
table = dict(columns=[dict(key='m', name='M')])
profiles = dict(
    cpu=dict(seeds=[0, 1]),
    cuda=dict(seeds=[0, 1, 2],
              finetune=dict(r=dict(cfg_options={{
                  'train_cfg.max_epochs': 20}}))))
""")
    return str(path)


def test_profiles_are_chosen_by_device_and_merged(tmp_path):
    path = _profile_study(tmp_path)
    cfg, name = load_study(path, cuda=False)
    assert name == 'cpu' and cfg.profile == 'cpu' and cfg.seeds == [0, 1]
    cfg, name = load_study(path, cuda=True)
    assert name == 'cuda' and cfg.seeds == [0, 1, 2]
    # Nested dicts merge key by key: the profile's option is added to the
    # regressor's own, which stay.
    assert cfg.finetune.r.cfg_options == {
        'train_cfg.max_epochs': 20,
        'default_hooks.logger.interval': 5
    }
    # --profile overrides the device; command-line options win over it.
    cfg, name = load_study(
        path, cfg_options={'seeds': [7]}, profile='cuda', cuda=False)
    assert name == 'cuda' and cfg.seeds == [7]
    with pytest.raises(StudyConfigError, match=r"no profile 'tpu'.*'cpu', "
                       r"'cuda'"):
        load_study(path, profile='tpu')
    plain = Config(dict(work_root='w'))
    assert choose_profile(plain, None, cuda=True) is None
    with pytest.raises(StudyConfigError, match='defines no profiles'):
        choose_profile(plain, 'cpu', cuda=False)


def test_fraction_tag():
    assert fraction_tag(0.1) == '10p' and fraction_tag(1.0) == '100p'
