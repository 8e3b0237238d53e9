"""The second study's report on constructed three-seed records: only rows
that exist, "vs 3D-only" as paired differences over seeds marked by the
noise rule, baselines per training set, compute to reach per seed."""
import csv
import json
import os
import os.path as osp

import pytest
from mmengine.config import Config

from hpse_bench.study.reports import write_reports
from hpse_bench.study.spec import build_stages

SEEDS = [0, 1, 2]
# regressor -> method -> per-seed H36M MPJPE. ResNet-18: 2D pose is 20,
# 21, 19 mm better than 3D-only (clear); ResNet-34: -2, -9, +11 (noise).
H36M = {
    'integral_r18_h36m': {
        'pose2d_r18': [100.0, 104.0, 96.0],
        'scratch': [120.0, 125.0, 115.0]
    },
    'integral_r34_h36m': {
        'pose2d_r34': [110.0, 99.0, 121.0],
        'scratch': [112.0, 108.0, 110.0]
    },
}
TRAIN_MEAN = {'h36m/mpjpe': 179.0, '3dpw/mpjpe': 190.0}


def _cfg(root):
    pretrain = dict(scratch=dict(label='3D only', data='-'))
    for depth in (18, 34):
        pretrain[f'pose2d_r{depth}'] = dict(
            config=__file__, label=f'2D pose, R{depth}', init_label='2D pose',
            data='MPII', depth=depth, val_metrics=dict(PCK='PCK@0.05'))
    return Config(
        dict(
            study_name='mills_constructed', work_root=root, seeds=SEEDS,
            fractions=[1.0], baselines=True, pretrain=pretrain,
            finetune={
                f'integral_r{d}_h36m': dict(
                    config=__file__, pretrain=[f'pose2d_r{d}', 'scratch'],
                    depth=d, train_set='h36m')
                for d in (18, 34)
            },
            generalization=dict(
                metric='mpjpe', curve_metric='h36m/mpjpe',
                train_sets=dict(h36m='Human3.6M'),
                test_sets=[dict(key='h36m', name='H36M'),
                           dict(key='3dpw', name='3DPW')]),
            table=dict(columns=[dict(key='h36m/mpjpe', name='H36M MPJPE')],
                       curve_metric='h36m/mpjpe'),
            extra_reports=['generalization']))


def _curve(stage):
    """Validation curves: 3D-only ends at 130 + seed (step 4); 2D pose
    reaches 128 + seed at step 2, except R18 seed 2 (140: never)."""
    if stage.method == 'scratch':
        return [[1, 200.0], [2, 160.0], [4, 130.0 + stage.seed]]
    last = 140.0 if (stage.regressor, stage.seed) == ('integral_r18_h36m',
                                                      2) else 128.0
    return [[1, 150.0], [2, last + stage.seed]]


def _records(stages):
    out = {}
    for s in stages:
        rec = dict(stage=s.name, kind=s.kind, method=s.method,
                   regressor=s.regressor, fraction=s.fraction, seed=s.seed,
                   gpus=1, result={},
                   seconds={'pretrain': 3600.0, 'finetune': 3600.0 if
                            s.method != 'scratch' else 7200.0}.get(
                                s.kind, 0.0))
        if s.kind == 'test':
            h36m = H36M[s.regressor][s.method][s.seed]
            rec['result'] = dict(metrics={'h36m/mpjpe': h36m,
                                          '3dpw/mpjpe': h36m + 50.0})
        elif s.kind == 'finetune':
            rec['result'] = dict(val_curve={'h36m/mpjpe': _curve(s)})
        elif s.kind == 'baseline':
            rec['result'] = dict(
                rows=dict(train_mean_pose=TRAIN_MEAN),
                labels=dict(train_mean_pose='Training-set average pose'))
        out[s.name] = rec
    return out


def _write_2d_logs(stages):
    """MMEngine's scalars.json of each 2D run: a training line and the
    validation of its last epoch (PCK 0.1 + 0.01 x seed)."""
    for s in stages:
        if s.kind != 'pretrain':
            continue
        log = osp.join(s.work_dir, '20260101_000000', 'vis_data')
        os.makedirs(log)
        with open(osp.join(log, 'scalars.json'), 'w') as f:
            f.write(json.dumps(dict(lr=0.001, loss=1.0, epoch=2, iter=8,
                                    step=8)) + '\n')
            f.write(json.dumps(dict(PCK=0.1 + 0.01 * s.seed, step=2)) + '\n')


@pytest.fixture(scope='module')
def report(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('mills'))
    cfg = _cfg(root)
    stages = build_stages(cfg)
    _write_2d_logs(stages)
    paths = write_reports(cfg, stages, _records(stages), 'mills.py')
    with open(paths['markdown']) as f:
        md = f.read()
    return dict(dir=osp.join(root, 'report'), md=md)


def _csv(report, name):
    with open(osp.join(report['dir'], name)) as f:
        return list(csv.DictReader(f))


def test_each_table_holds_only_its_own_backbone(report):
    for depth, other in ((18, 34), (34, 18)):
        rows = _csv(report, f'table_integral_r{depth}_h36m.csv')
        methods = {r['method'] for r in rows if r['kind'] == 'method'}
        assert methods == {f'pose2d_r{depth}', 'scratch'}
        section = report['md'].split(f'## Results: integral_r{depth}_h36m')[
            1].split('## ')[0]
        assert f'R{other}' not in section and f'R{depth}' in section


def test_vs_3d_only_is_paired_over_seeds(report):
    rows = {(r['regressor'], r['method'], r['column']): r
            for r in _csv(report, 'vs_3d_only.csv')}
    r18 = rows[('integral_r18_h36m', 'pose2d_r18', 'vs_3d_only')]
    # 100 - 120, 104 - 125, 96 - 115 = -20, -21, -19.
    assert float(r18['mean']) == -20.0 and float(r18['std']) == 1.0
    assert r18['n'] == '3' and r18['marker'] == 'better'
    r34 = rows[('integral_r34_h36m', 'pose2d_r34', 'vs_3d_only')]
    # -2, -9, +11: signs differ.
    assert float(r34['mean']) == 0.0 and r34['marker'] == ''
    assert ('integral_r18_h36m', 'scratch', 'vs_3d_only') not in rows
    assert ('| ResNet-18 | Human3.6M | 2D pose | 100.00 ± 4.00 | '
            '-20.00 ± 1.00 ▲ |') in report['md']
    # Compute to reach the 3D-only final value of the same seed: at step 2
    # of 2 (1 h pre-training + 1 h 3D training) for seeds 0 and 1; seed 2
    # ends at 140 > 132.
    reach = rows[('integral_r18_h36m', 'pose2d_r18', 'reach_hours')]
    assert float(reach['mean']) == 2.0 and reach['n'] == '2'
    assert reach['note'] == '(2/3 seeds reached)'
    assert '| 2.0000 ± 0.0000 (2/3 seeds reached) |' in report['md']
    total = rows[('integral_r18_h36m', 'scratch', 'total_hours')]
    assert float(total['mean']) == 2.0


def test_matrix_cells_and_baselines(report):
    rows = _csv(report, 'generalization.csv')
    cells = {(r['regressor'], r['method'], r['test_set']): r for r in rows}
    scratch = cells[('integral_r18_h36m', 'scratch', 'h36m')]
    assert float(scratch['mean']) == 120.0 and float(scratch['std']) == 5.0
    assert cells[('integral_r18_h36m', 'pose2d_r18',
                  'h36m')]['marker'] == 'better'
    assert cells[('integral_r34_h36m', 'pose2d_r34', '3dpw')]['marker'] == ''
    # One baseline block per training set (both backbones share h36m).
    base = [r for r in rows if r['kind'] == 'baseline']
    assert [(r['test_set'], float(r['mean'])) for r in base] == [
        ('h36m', 179.0), ('3dpw', 190.0)
    ]
    assert ('| - | Training-set average pose | Human3.6M | 179.00 | 190.00 |'
            in report['md'])
    assert osp.isfile(osp.join(report['dir'], 'mpjpe_vs_compute.png'))
    assert osp.isfile(osp.join(report['dir'], 'generalization.tex'))


def test_2d_stage_per_seed_and_over_seeds(report):
    rows = _csv(report, 'pretrain_2d.csv')
    # The logged values, exactly (repr round trip).
    assert sorted((r['method'], int(r['seed']), float(r['value']))
                  for r in rows) == [(m, k, 0.1 + 0.01 * k)
                                     for m in ('pose2d_r18', 'pose2d_r34')
                                     for k in SEEDS]
    summary = {(r['method'], r['column']): r
               for r in _csv(report, 'pretrain_2d_summary.csv')}
    pck = summary[('pose2d_r18', 'PCK')]
    assert float(pck['mean']) == pytest.approx(0.11)
    assert float(pck['std']) == pytest.approx(0.01)
    assert '| ResNet-18 | 2D pose | MPII | 0.1100 ± 0.0100 |' in report['md']
