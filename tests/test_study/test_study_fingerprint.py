"""Stage fingerprints, entry-point commands, records against logs: the
pieces of the runner that need no training run."""
import json
import os
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from hpse_bench.study.commands import (ENTRY_POINTS, cfg_options_args,
                                       parse_cfg_options, stage_command,
                                       with_parent_death_signal)
from hpse_bench.study.fingerprint import (FileHashes, StageConfigs,
                                          data_digests, fingerprint,
                                          source_digest)
from hpse_bench.study.logs import iteration_logging_problems, last_checkpoint
from hpse_bench.study.records import differences
from hpse_bench.study.spec import Stage, build_stages
from hpse_bench.utils.fileio import file_sha256

RUNTIME = 'configs/_base_/default_runtime.py'
HMR = 'configs/finetune/hmr_r18_1xb32-8e_h36m-coco_100p_synthetic.py'


def _pretrain_stage(options=None, config=RUNTIME):
    return Stage(kind='pretrain', name='pretrain/a/seed0', work_dir='w',
                 config=config, cfg_options=options or {})


def _config_id(stage, configs=None):
    cfg = (configs or StageConfigs()).resolve(stage, None)
    return fingerprint(stage, cfg, {}, {}, code='c')['id']


def test_fingerprint_is_the_resolved_config_with_options():
    base = _config_id(_pretrain_stage())
    assert base == _config_id(_pretrain_stage())
    # An option that changes the config changes the fingerprint ...
    assert _config_id(_pretrain_stage({'train_cfg.max_epochs': 3})) != base
    # ... an option that sets the value the file already has does not: the
    # fingerprint is of the config as the stage runs it, not of the text.
    assert _config_id(
        _pretrain_stage({'default_hooks.logger.interval': 50})) == base
    assert _config_id(
        _pretrain_stage({'default_hooks.logger.interval': 51})) != base


def test_fingerprint_follows_the_base_files(tmp_path):
    (tmp_path / 'base.py').write_text('optim_wrapper = dict(lr=1e-3)\n')
    (tmp_path / 'child.py').write_text("_base_ = ['./base.py']\nx = 1\n")
    stage = _pretrain_stage(config=str(tmp_path / 'child.py'))
    before = _config_id(stage)
    (tmp_path / 'base.py').write_text('optim_wrapper = dict(lr=0.5)\n')
    assert _config_id(stage) != before


def test_fingerprint_follows_parent_data_and_code():
    stage = _pretrain_stage()
    cfg = StageConfigs().resolve(stage, None)
    ref = fingerprint(stage, cfg, {'checkpoint': 'a'}, {'d': '1'}, 'c')
    assert ref == fingerprint(stage, cfg, {'checkpoint': 'a'}, {'d': '1'},
                              'c')
    for changed in (fingerprint(stage, cfg, {'checkpoint': 'b'}, {'d': '1'},
                                'c'),
                    fingerprint(stage, cfg, {'checkpoint': 'a'}, {'d': '2'},
                                'c'),
                    fingerprint(stage, cfg, {'checkpoint': 'a'}, {'d': '1'},
                                'c2')):
        assert changed['id'] != ref['id']


def test_finetune_fingerprint_holds_the_backbone_digest_not_its_path():
    study = Config(
        dict(work_root='w', fractions=[1.0], seeds=[0],
             pretrain=dict(a=dict(config=RUNTIME)),
             finetune=dict(r=dict(config=HMR))))
    ft = [s for s in build_stages(study) if s.kind == 'finetune'][0]
    configs = StageConfigs()
    cfg = configs.resolve(ft, 'abc')
    assert cfg.model.backbone.init_cfg == dict(
        type='Pretrained', checkpoint='sha256:abc')
    moved = Stage(**dict(ft.__dict__, extra=dict(ft.extra, backbone='x.pth')))
    assert configs.resolve(moved, 'abc').to_dict() == cfg.to_dict()
    assert configs.resolve(ft, 'abd').to_dict() != cfg.to_dict()


def test_source_digest_follows_the_sources_outside_the_study(tmp_path):
    pkg = tmp_path / 'pkg'
    for rel, text in (('a.py', 'x = 1\n'), ('sub/b.py', 'y = 2\n'),
                      ('study/report.py', 'z = 3\n'), ('data.txt', 'd')):
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    ref = source_digest(str(pkg))
    (pkg / 'study' / 'report.py').write_text('z = 4\n')
    (pkg / 'data.txt').write_text('e')
    (pkg / '__pycache__').mkdir()
    (pkg / '__pycache__' / 'c.py').write_text('junk')
    assert source_digest(str(pkg)) == ref
    (pkg / 'sub' / 'b.py').write_text('y = 3\n')
    assert source_digest(str(pkg)) != ref


def test_data_digests(tmp_path):
    root = tmp_path / 'synthetic'
    root.mkdir()
    (root / 'MANIFEST.json').write_text('{"seed": 0}')
    (root / 'h36m.npz').write_text('inside the root')
    other = tmp_path / 'ann.json'
    other.write_text('{}')
    cfg = Config(
        dict(synthetic_data=dict(root=str(root)),
             train_dataloader=dict(dataset=dict(
                 datasets=[
                     dict(data_root=str(root), ann_file='h36m.npz'),
                     dict(data_root=str(tmp_path), ann_file='ann.json'),
                 ])),
             test_evaluator=dict(ann_file=str(tmp_path / 'gone.json')),
             unused_variable=dict(ann_file=str(tmp_path / 'ignored.json'))))
    hashes = FileHashes(str(tmp_path / 'hashes.json'))
    digests = data_digests(cfg, hashes)
    assert digests == {
        f'{root}/MANIFEST.json': file_sha256(str(root / 'MANIFEST.json')),
        str(other): file_sha256(str(other)),
        str(tmp_path / 'gone.json'): 'missing',
    }
    (root / 'MANIFEST.json').write_text('{"seed": 1}')
    assert data_digests(cfg, hashes)[f'{root}/MANIFEST.json'] == \
        file_sha256(str(root / 'MANIFEST.json'))
    # The cache is keyed by size and mtime and survives the process.
    cached = json.load(open(tmp_path / 'hashes.json'))
    assert cached[str(other)][2] == file_sha256(str(other))


def test_cfg_options_reach_the_stage_unchanged_or_are_refused():
    options = {'a.b': 1, 'c': [1, 2], 'd': (3, 4), 'e': None, 'f': True,
               'g': 0.1, 'h': 'text', 'i': {'j': 'k'}}
    args = cfg_options_args(options, 's')
    parsed = parse_cfg_options(args)
    assert parsed == {'a.b': 1, 'c': [1, 2], 'd': (3, 4), 'e': None,
                      'f': True, 'g': 0.1, 'h': 'text', 'i.j': 'k'}
    for bad in ({'x': 'a,b'}, {'x': 'has space'}, {'x': '12'},
                {'x': [dict(type='Hook')]}):
        with pytest.raises(ValueError, match='stage s: option x='):
            cfg_options_args(bad, 's')


def test_commands_use_installed_entry_points(monkeypatch):
    monkeypatch.setenv('GPUS_PER_NODE', '4')
    monkeypatch.delenv('SRUN_ARGS', raising=False)
    plain = stage_command('finetune', ['cfg.py', '--work-dir', 'w'])
    assert plain == [sys.executable, '-m', 'hpse_bench.apis.train',
                     'cfg.py', '--work-dir', 'w']
    dist = stage_command('test', ['cfg.py', 'ck.pth'], launcher='pytorch',
                         gpus=2, port=29999)
    assert dist[:3] == [sys.executable, '-m', 'torch.distributed.run']
    assert '--nproc_per_node=2' in dist and '--master_port=29999' in dist
    i = dist.index('-m', 3)
    assert dist[i + 1:] == ['hpse_bench.apis.test', 'cfg.py', 'ck.pth',
                            '--launcher', 'pytorch']
    slurm = stage_command('pretrain', ['cfg.py'], launcher='slurm', gpus=8,
                          partition='gpu', job='pretrain-a-seed0')
    assert slurm[:4] == ['srun', '-p', 'gpu', '--job-name=pretrain-a-seed0']
    assert '--ntasks=8' in slurm and '--gres=gpu:4' in slurm
    assert slurm[-6:] == [sys.executable, '-u', '-m',
                          'hpse_bench.apis.train', 'cfg.py',
                          '--launcher', 'slurm'][1:]
    # Exports are one local process whatever the launcher; a probe is one
    # Slurm task.
    assert stage_command('export', ['a', 'b'], launcher='slurm',
                         partition='gpu')[:3] == [
                             sys.executable, '-m',
                             'hpse_bench.apis.export_backbone']
    probe = stage_command('probe', ['cfg.py'], launcher='slurm', gpus=8,
                          partition='gpu')
    assert '--ntasks=1' in probe and '--launcher' not in probe
    assert set(ENTRY_POINTS.values()) >= {'hpse_bench.apis.baselines',
                                          'hpse_bench.apis.probe'}
    for cmd in (plain, dist, slurm, probe):
        assert not any('tools' in str(c).split(os.sep) for c in cmd)


def test_parent_death_wrapper_execs_the_command():
    import subprocess
    cmd = with_parent_death_signal(
        [sys.executable, '-c', 'import os; print(os.getppid())'])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    # exec kept the wrapper's pid: the command's parent is this process.
    assert out.stdout.strip() == str(os.getpid())


def test_iteration_based_configs_must_log_per_iteration():
    it = Config(dict(train_cfg=dict(type='IterBasedTrainLoop', max_iters=8)))
    problems = iteration_logging_problems(it)
    assert [p.split(':')[0] for p in problems] == [
        'log_processor.by_epoch', 'default_hooks.logger.log_metric_by_epoch',
        'default_hooks.checkpoint.by_epoch'
    ]
    ok = Config(
        dict(train_cfg=dict(type='IterBasedTrainLoop', max_iters=8),
             log_processor=dict(by_epoch=False),
             default_hooks=dict(logger=dict(log_metric_by_epoch=False),
                                checkpoint=dict(by_epoch=False))))
    assert iteration_logging_problems(ok) == []
    epoch = Config(dict(train_cfg=dict(max_epochs=2)))
    assert iteration_logging_problems(epoch) == []


def test_last_checkpoint_prefers_the_work_dirs_own_file(tmp_path):
    old, new = tmp_path / 'old', tmp_path / 'new'
    for d in (old, new):
        d.mkdir()
        (d / 'iter_4.pth').write_text(str(d))
        # MMEngine writes the absolute path of the original place.
        (d / 'last_checkpoint').write_text(str(old / 'iter_4.pth'))
    assert last_checkpoint(str(new)) == osp.join(str(new), 'iter_4.pth')
    (new / 'iter_4.pth').unlink()
    assert last_checkpoint(str(new)) == str(old / 'iter_4.pth')
    (new / 'last_checkpoint').write_text('')
    assert last_checkpoint(str(new)) is None


def test_differences_name_the_keys():
    rec = {'metrics': {'a': 1.0, 'b': float('nan'), 'c': [1, 2]}}
    assert differences(rec, json.loads(json.dumps(rec))) == []
    log = {'metrics': {'a': 1.5, 'b': float('nan'), 'c': [1, 3]}}
    assert differences(rec, log) == [('metrics.a', 1.0, 1.5),
                                     ('metrics.c.1', 2, 3)]


def test_a_marker_write_cut_by_a_kill_is_not_a_foreign_run(tmp_path):
    from hpse_bench.study.workroot import has_content, move_aside
    stage = tmp_path / 'root' / 'test' / 'a'
    stage.mkdir(parents=True)
    assert not has_content(str(stage))
    (stage / '.STAGE.json.ab12.tmp').write_text('{"sta')
    assert not has_content(str(stage))
    (stage / 'stage.log').write_text('$ python -m ...')
    assert has_content(str(stage))
    dest = move_aside(str(stage), str(tmp_path / 'root'))
    assert dest.startswith(str(tmp_path / 'root' / '.stale'))
    assert dest.endswith(osp.join('test', 'a'))
    assert (tmp_path / 'root' / '.stale').is_dir() and not stage.exists()
