"""Iteration-based schedules through the study, on two gloo processes.

A fine-tune with ``IterBasedTrainLoop`` (validation and checkpoints every 2
of 4 iterations) and its test, both started by the study as
``python -m torch.distributed.run ... -m hpse_bench.apis.train|test
--launcher pytorch`` with two CPU processes.
"""
import glob
import json
import os
import os.path as osp
from io import StringIO

import pytest
from study_fixtures import (FINETUNE_CFG, LOADERS, WORK_ROOT,
                            flat_synthetic_options, loader_options,
                            make_workspace, raw_test_metrics)

from hpse_bench.study import StudyConfigError, StudyRunner

ITER_CONFIG = f"""
_base_ = [{FINETUNE_CFG!r}]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=4,
                 val_interval=2)
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[3], gamma=0.1)
]
log_processor = dict(by_epoch=False)
default_hooks = dict(
    logger=dict(interval=1, log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=2))
"""


def _study(workspace, synthetic_root, config):
    path = osp.join(workspace, 'iter_study.py')
    with open(path, 'w') as f:
        f.write(f"""
study_name = 'iterations'
work_root = {WORK_ROOT!r}
gpus = 2
seeds = [0]
fractions = [1.0]
code_version = 'iteration-test'
stage_cfg_options = {flat_synthetic_options(synthetic_root)!r}
pretrain = dict(random_init=dict(label='Random init', data='-'))
finetune = dict(
    hmr=dict(
        config={config!r},
        cfg_options={{'train_dataloader.batch_size': 4,
                      **{loader_options(*LOADERS)!r}}},
        test_cfg_options={loader_options('test_dataloader')!r}))
table = dict(columns=[
    dict(key='3dpw/pa_mpjpe', name='3DPW PA-MPJPE', lower_is_better=True)],
    curve_metric='3dpw/pa_mpjpe')
""")
    return path


def _logged_val_curve(work_dir, key):
    """``[[iteration, value]]`` read straight from MMEngine's scalars."""
    out = []
    for path in sorted(
            glob.glob(osp.join(work_dir, '2*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                if key in rec:
                    out.append([rec['step'], rec[key]])
    return out


def test_epoch_logging_in_an_iteration_run_is_refused(synthetic_root,
                                                      tmp_path):
    workspace = make_workspace(tmp_path, synthetic_root)
    config = tmp_path / 'iter_cfg.py'
    # MMEngine's epoch-based logging defaults left in place.
    config.write_text(ITER_CONFIG.split('log_processor')[0])
    study = _study(workspace, synthetic_root, str(config))
    with pytest.raises(StudyConfigError) as err:
        StudyRunner(study, launcher='pytorch', stream=StringIO()).run()
    text = str(err.value)
    for key in ('log_processor.by_epoch',
                'default_hooks.logger.log_metric_by_epoch',
                'default_hooks.checkpoint.by_epoch'):
        assert (f'finetune/hmr/random_init/100p/seed0: {key}: an '
                'IterBasedTrainLoop run needs False, got True') in text
    assert not osp.exists(osp.join(workspace, WORK_ROOT))


@pytest.mark.slow
@pytest.mark.dist
def test_iteration_based_stages_under_torchrun(synthetic_root, tmp_path):
    workspace = make_workspace(tmp_path, synthetic_root)
    config = tmp_path / 'iter_cfg.py'
    config.write_text(ITER_CONFIG)
    study = _study(workspace, synthetic_root, str(config))
    cwd = os.getcwd()
    os.chdir(workspace)
    try:
        records = StudyRunner(
            study, launcher='pytorch', stream=StringIO()).run()
    finally:
        os.chdir(cwd)
    root = osp.join(workspace, WORK_ROOT)
    ft = records['finetune/hmr/random_init/100p/seed0']
    test = records['test/hmr/random_init/100p/seed0']
    for rec, module in ((ft, 'hpse_bench.apis.train'),
                        (test, 'hpse_bench.apis.test')):
        assert rec['gpus'] == 2
        assert ' -m torch.distributed.run ' in rec['command']
        assert '--nproc_per_node=2' in rec['command']
        assert f' -m {module} ' in rec['command']
        assert rec['command'].endswith('--launcher pytorch')
    # Checkpoints and validation per iteration, from the run's own logs.
    ft_dir = osp.join(root, 'finetune/hmr/random_init/100p/seed0')
    assert osp.basename(ft['result']['checkpoint']) == 'iter_4.pth'
    assert sorted(osp.basename(p)
                  for p in glob.glob(osp.join(ft_dir, 'iter_*.pth'))) in (
                      ['iter_4.pth'], ['iter_2.pth', 'iter_4.pth'])
    assert ft['result']['val_curve_unit'] == 'iter'
    curve = ft['result']['val_curve']['3dpw/pa_mpjpe']
    assert [step for step, _ in curve] == [2, 4]
    assert curve == _logged_val_curve(ft_dir, '3dpw/pa_mpjpe')
    # The test stage evaluated the last iteration's weights.
    assert 'iter_4.pth' in test['command']
    logged = raw_test_metrics(
        osp.join(root, 'test/hmr/random_init/100p/seed0'))
    assert test['result']['metrics']['3dpw/pa_mpjpe'] == logged[
        '3dpw/pa_mpjpe']
