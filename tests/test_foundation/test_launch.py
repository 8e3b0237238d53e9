"""What tools/train.py does before it builds a Runner: --cfg-options that a
config would ignore are refused, --amp on a CPU-only machine says it needs a
GPU, and --no-validate / --no-persistent-workers act as in mmpose and
mmpretrain."""
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

import hpse_bench  # noqa: F401  (applies the compatibility patches first)
from hpse_bench.apis.launch import (dist_timeout, merge_cfg_options,
                                    setup_distributed)
from hpse_bench.apis.train import merge_args, parse_args

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FINETUNE = osp.join(REPO, 'configs', 'finetune')
HMR_10P = osp.join(FINETUNE, 'hmr_r50_1xb64-120e_h36m-coco_10p.py')
HMR_SYNTHETIC = osp.join(FINETUNE,
                         'hmr_r18_1xb32-8e_h36m-coco_100p_synthetic.py')


def _refused(config, options):
    cfg = Config.fromfile(config)
    before = cfg.to_dict()
    with pytest.raises(ValueError) as info:
        merge_cfg_options(cfg, options)
    assert cfg.to_dict() == before, 'a refused option changed the config'
    return str(info.value)


def test_fraction_variable_is_refused_and_the_real_key_named():
    message = _refused(HMR_10P, {'fraction': 0.1})
    assert 'fraction: "fraction" is a variable of the config files' in message
    assert 'train_dataloader.dataset.fraction=0.1' in message


def test_smpl_root_variable_names_model_smpl_root():
    message = _refused(HMR_10P, {'smpl_root': '/data/body_models'})
    assert 'model.smpl_root=/data/body_models' in message


def test_input_size_variable_names_the_pipeline_steps():
    message = _refused(HMR_SYNTHETIC, {'input_size': (64, 64)})
    assert 'train_dataloader.dataset.pipeline.3.input_size="(64,64)"' in \
        message
    assert 'val_dataloader.dataset.datasets.0.pipeline.1.input_size' in \
        message


def test_unknown_top_level_key_is_refused():
    message = _refused(HMR_10P, {'foo': 1, 'fraction': 0.3})
    assert 'foo: "foo" is not a setting of this config' in message
    assert 'train_dataloader' in message  # the settings it has
    assert 'fraction: ' in message  # every bad option is listed


def test_real_settings_merge():
    cfg = Config.fromfile(HMR_10P)
    merge_cfg_options(
        cfg, {
            'train_dataloader.dataset.fraction': 0.3,
            'model.smpl_root': 'x',
            'param_scheduler.0.milestones': [2],
            'env_cfg.dist_cfg.timeout': 60,
        })
    assert cfg.train_dataloader.dataset.fraction == 0.3
    assert cfg.model.smpl_root == 'x'
    assert cfg.param_scheduler[0].milestones == [2]


def test_train_cli_refuses_an_ignored_option(tmp_path):
    result = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'train.py'), HMR_10P,
         '--work-dir', str(tmp_path / 'w'), '--cfg-options', 'fraction=0.1'],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert 'would ignore' in result.stderr
    assert 'train_dataloader.dataset.fraction=0.1' in result.stderr


def test_test_cli_refuses_an_ignored_option(tmp_path):
    result = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'test.py'), HMR_10P, 'none',
         '--work-dir', str(tmp_path / 'w'), '--cfg-options',
         'input_size=(64,64)'],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert 'would ignore' in result.stderr
    assert 'input_size' in result.stderr


def test_amp_on_a_cpu_only_machine_is_a_clear_error(tmp_path):
    import torch
    if torch.cuda.is_available():
        pytest.skip('this machine has CUDA: --amp is valid')
    result = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'train.py'), HMR_10P,
         '--work-dir', str(tmp_path / 'w'), '--amp'],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert 'needs a CUDA GPU' in result.stderr, result.stderr[-2000:]
    assert 'Run without --amp' in result.stderr


def test_no_validate_and_no_persistent_workers():
    args = parse_args([HMR_SYNTHETIC, '--no-validate',
                       '--no-persistent-workers'])
    cfg = Config.fromfile(HMR_SYNTHETIC)
    cfg.train_dataloader.persistent_workers = True
    cfg.val_dataloader.persistent_workers = True
    cfg = merge_args(cfg, args)
    assert cfg.val_cfg is None and cfg.val_dataloader is None
    assert cfg.val_evaluator is None
    assert cfg.train_dataloader.persistent_workers is False
    assert cfg.test_dataloader.persistent_workers is False
    # Without the flags nothing changes.
    cfg = merge_args(Config.fromfile(HMR_SYNTHETIC), parse_args(
        [HMR_SYNTHETIC]))
    assert cfg.val_dataloader is not None and cfg.val_evaluator


def test_dist_timeout_sources(monkeypatch):
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    monkeypatch.delenv('HPSE_DIST_TIMEOUT', raising=False)
    assert dist_timeout(cfg) is None
    monkeypatch.setenv('HPSE_DIST_TIMEOUT', '42')
    assert dist_timeout(cfg) == 42
    cfg.env_cfg.dist_cfg.timeout = 7  # the config wins
    assert dist_timeout(cfg) == 7
    monkeypatch.setenv('HPSE_DIST_TIMEOUT', 'soon')
    del cfg.env_cfg.dist_cfg['timeout']
    with pytest.raises(ValueError, match='HPSE_DIST_TIMEOUT must be'):
        dist_timeout(cfg)


def test_single_process_launch_leaves_dist_cfg_alone(monkeypatch):
    monkeypatch.setenv('HPSE_DIST_TIMEOUT', '42')
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    setup_distributed(cfg, 'none')
    assert cfg.env_cfg.dist_cfg == dict(backend='nccl')


def test_cpu_threads_split_between_ranks_unless_the_caller_set_them(
        monkeypatch):
    import os

    import torch

    from hpse_bench.apis.launch import set_cpu_threads
    if torch.cuda.is_available():
        pytest.skip('the split applies to CPU-only runs')
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv('LOCAL_WORLD_SIZE', '2')
        monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
        torch.set_num_threads(7)
        set_cpu_threads()
        assert torch.get_num_threads() == max(1, (os.cpu_count() or 1) // 2)
        monkeypatch.setenv('OMP_NUM_THREADS', '1')
        torch.set_num_threads(7)
        set_cpu_threads()
        assert torch.get_num_threads() == 7
    finally:
        torch.set_num_threads(before)
