"""The compute rule of the second study and the compute accounting of its
report, against numbers worked by hand."""
import csv
import os.path as osp

import pytest
from mmengine.config import Config

from hpse_bench.study.reports import generalization
from hpse_bench.study.compute_budget import (device_hours,
                                             matched_scratch_epochs,
                                             scaled_milestones)
from hpse_bench.study.reports import StudyResults
from hpse_bench.study.reports.tables import clock
from hpse_bench.study.spec import build_stages


def test_matched_scratch_epochs_by_hand():
    # MPII (22,246 crops x 140 epochs) against Human3.6M epochs of 312,188
    # samples, same input: 3,114,440 / 312,188 = 9.98 -> 10 more epochs.
    assert matched_scratch_epochs(120, 140, 22246, (256, 256), 312188,
                                  (256, 256)) == 130
    # Exactly three 3D epochs: no rounding up.
    assert matched_scratch_epochs(4, 2, 384, (64, 64), 256, (64, 64)) == 7
    # A smaller 2D input costs less: 256x192 is 3/4 of 256x256;
    # 140 * 22246 * 0.75 / 312188 = 7.48 -> 8.
    assert matched_scratch_epochs(120, 140, 22246, (192, 256), 312188,
                                  (256, 256)) == 128
    # No pre-training: nothing to add.
    assert matched_scratch_epochs(120, 0, 22246, (256, 256), 312188,
                                  (256, 256)) == 120
    with pytest.raises(ValueError, match='3D epoch must have samples'):
        matched_scratch_epochs(120, 140, 10, (256, 256), 0, (256, 256))
    with pytest.raises(ValueError, match='must be >= 0'):
        matched_scratch_epochs(120, -1, 10, (256, 256), 10, (256, 256))


def test_scaled_milestones_and_device_hours():
    assert scaled_milestones([90], 120, 130) == [98]
    assert scaled_milestones([90], 120, 240) == [180]
    assert scaled_milestones([3], 4, 7) == [5]
    assert device_hours(dict(seconds=7200, gpus=4)) == 8.0
    assert device_hours(dict(seconds=90)) == 0.025
    # Wall times of real studies run past a day.
    assert clock(31 * 3600 + 125) == '31:02:05'


def _study():
    return Config(
        dict(study_name='accounting',
             work_root='/nonexistent/study',
             seeds=[0],
             fractions=[1.0],
             gpus=2,
             pretrain=dict(pose2d_r18=dict(config=__file__,
                                           label='2D pose, R18',
                                           init_label='2D pose',
                                           data='MPII'),
                           scratch=dict(label='3D only', data='-')),
             finetune=dict(
                 integral_r18_h36m=dict(config=__file__,
                                        pretrain=['pose2d_r18', 'scratch'],
                                        depth=18,
                                        train_set='h36m')),
             generalization=dict(metric='mpjpe',
                                 curve_metric='h36m/mpjpe',
                                 train_sets=dict(h36m='Human3.6M'),
                                 test_sets=[
                                     dict(key='h36m', name='H36M'),
                                     dict(key='3dpw', name='3DPW')
                                 ]),
             table=dict(columns=[dict(key='h36m/mpjpe', name='MPJPE')],
                        curve_metric='h36m/mpjpe'),
             extra_reports=['generalization']))


def _records(stages):
    """Stage records as the runner writes them, with chosen times."""
    seconds = {
        'pretrain/pose2d_r18/seed0': 1800.0,  # x 2 devices = 1 h
        'export/pose2d_r18/seed0': 18.0,  # x 2 = 0.01 h
        'finetune/integral_r18_h36m/pose2d_r18/100p/seed0': 3600.0,  # 2 h
        'test/integral_r18_h36m/pose2d_r18/100p/seed0': 36.0,
        'finetune/integral_r18_h36m/scratch/100p/seed0': 7200.0,  # 4 h
        'test/integral_r18_h36m/scratch/100p/seed0': 36.0,
    }
    curves = {
        'pose2d_r18': [[1, 300.0], [2, 200.0], [3, 150.0], [4, 120.0]],
        'scratch': [[1, 400.0], [2, 300.0], [4, 200.0], [7, 130.0]],
    }
    metrics = {
        'pose2d_r18': {
            'h36m/mpjpe': 118.5,
            '3dpw/mpjpe': 160.25
        },
        'scratch': {
            'h36m/mpjpe': 131.0,
            '3dpw/mpjpe': 170.75
        },
    }
    out = {}
    for s in stages:
        # The runner records the study's devices for every stage.
        rec = dict(stage=s.name,
                   kind=s.kind,
                   seconds=seconds[s.name],
                   gpus=2,
                   method=s.method,
                   regressor=s.regressor,
                   fraction=s.fraction,
                   seed=s.seed,
                   result={})
        if s.kind == 'finetune':
            rec['result'] = dict(val_curve={'h36m/mpjpe': curves[s.method]})
        if s.kind == 'test':
            rec['result'] = dict(metrics=metrics[s.method])
        out[s.name] = rec
    return out


def test_report_accounts_compute_by_hand(tmp_path):
    cfg = _study()
    stages = build_stages(cfg)
    res = StudyResults(cfg, stages, _records(stages))
    lines = generalization.write_report(res, str(tmp_path))
    md = '\n'.join(lines)
    # Pre-trained: 1 h pre-training + 0.01 h export + 2 h 3D training.
    # Its curve reaches the 3D-only final value (130) at epoch 4 of 4:
    # 1.01 + 2 * 4 / 4 = 3.01 h; the 3D-only run took 4 h.
    assert ('| ResNet-18 | Human3.6M | 2D pose | 118.50 | -12.50 | 3.0100 '
            '| 3.0100 |') in md
    assert '| ResNet-18 | Human3.6M | 3D only | 131.00 | - | 4.0000 | - |' \
        in md
    assert ('| ResNet-18 | 2D pose | Human3.6M | 1.0100 | 2.0000 | 3.0100 |'
            in md)
    # Per kind: pretrain 1 h, export 0.01 h, finetune 6 h, test 0.04 h.
    assert '| finetune | 2 | 03:00:00 | 6.0000 |' in md
    assert '| all | 6 | 03:31:30 | 7.0500 |' in md
    assert '| ResNet-18 | 2D pose | Human3.6M | 118.50 | 160.25 |' in md
    with open(tmp_path / 'generalization.csv') as f:
        rows = list(csv.DictReader(f))
    assert [(r['method'], r['test_set'], float(r['mean']))
            for r in rows] == [('pose2d_r18', 'h36m', 118.5),
                               ('pose2d_r18', '3dpw', 160.25),
                               ('scratch', 'h36m', 131.0),
                               ('scratch', '3dpw', 170.75)]
    with open(tmp_path / 'compute.csv') as f:
        compute = {r['stage']: r for r in csv.DictReader(f)}
    assert float(compute['export/pose2d_r18/seed0']['device_hours']) == \
        pytest.approx(0.01)
    assert osp.isfile(tmp_path / 'mpjpe_vs_compute.png')
    # Curve points on the compute axis: pre-training first, then the share
    # of the 3D run done by each epoch.
    st = generalization.GeneralizationIndex(res)
    assert [
        round(h, 6) for _, h, _ in st.curve('integral_r18_h36m', 'pose2d_r18')
    ] == [1.51, 2.01, 2.51, 3.01]
    scratch = st.curve('integral_r18_h36m', 'scratch')
    assert [round(h, 6) for _, h, _ in scratch
            ] == [round(4 * e / 7, 6) for e in (1, 2, 4, 7)]
