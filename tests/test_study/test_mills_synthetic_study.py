"""configs/study/mills_2d_pretrain_synthetic.py end to end at a tiny size.

The study config itself, shrunk by cfg-options (merged into the study config
as ``tools/study.py --cfg-options`` merges them): ResNet-18 only, a 2D stage
of two iterations, 3D runs of a few iterations on the session's tiny
synthetic data, one seed, on two training sets (Human3.6M stand-in with its
3D-only baseline, Occlusion-Person stand-in), each tested on every synthetic
test set. Every stage is a real tools/train.py / export / tools/test.py
subprocess. The report's generalisation matrix must hold the numbers that
MMEngine's LoggerHook wrote into the test runs' own logs.
"""
import csv
import glob
import json
import os
import os.path as osp
import struct

import pytest
import torch

from hpse_bench.study import StudyRunner

# Eight train/export/test subprocesses: about 1.5 minutes on 2 cores.
pytestmark = pytest.mark.slow

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STUDY = osp.join(REPO, 'configs', 'study', 'mills_2d_pretrain_synthetic.py')
WORK_ROOT = 'work_dirs/study/mills_tiny'
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
TEST_SETS = ('h36m', 'occlusion-person', '3dpw', 'mupots')


def _tiny_options(synthetic_root):
    """Study cfg-options: every stage asks for exactly the session's tiny
    synthetic data (so none regenerates it) and runs a few iterations."""
    with open(osp.join(synthetic_root, 'MANIFEST.json')) as f:
        manifest = json.load(f)
    common = {
        'synthetic_data.root': 'data/synthetic',
        'synthetic_data.seed': manifest['seed']
    }
    for split, subsets in manifest['num_images'].items():
        for subset, n in subsets.items():
            common[f'synthetic_data.num_images.{split}.{subset}'] = n
    # Image sizes too: the fixture's differ from the default request's.
    for key in ('image_size', 'multi_person_image_size'):
        common[f'synthetic_data.{key}'] = manifest['options'][key]
    for loader in LOADERS:
        common[f'{loader}.num_workers'] = 0
        common[f'{loader}.persistent_workers'] = False
    small_3d = {
        'train_dataloader.batch_size': 4,
        'train_dataloader.dataset.num_samples': 8,
        'train_cfg.max_iters': 2,
        'train_cfg.val_interval': 1,
        'param_scheduler.1.begin': 0,
        'param_scheduler.1.end': 2,
        'param_scheduler.1.T_max': 2,
        'default_hooks.checkpoint.interval': 2,
        'val_dataloader.dataset.indices': 8,
    }
    return {
        'work_root': WORK_ROOT,
        'seeds': [0],
        'baselines': False,
        'stage_cfg_options': common,
        'pretrain.pose2d_r18.cfg_options': {
            'train_dataloader.batch_size': 4,
            'train_dataloader.dataset.indices': 8,
            'train_cfg.max_iters': 2,
            'train_cfg.val_interval': 2,
            'default_hooks.checkpoint.interval': 2,
        },
        # ResNet-34 is left out at this size.
        'pretrain.pose2d_r34.config': None,
        'finetune.integral_r34_h36m.pretrain': [],
        'finetune.integral_r18_occlusion-person.pretrain': ['pose2d_r18'],
        'finetune.integral_r18_h36m.cfg_options': small_3d,
        'finetune.integral_r18_occlusion-person.cfg_options': small_3d,
        'finetune.integral_r18_h36m.scratch_cfg_options': {
            'train_cfg.max_iters': 3,
            'param_scheduler.1.begin': 0,
            'param_scheduler.1.end': 3,
            'param_scheduler.1.T_max': 3,
            'default_hooks.checkpoint.interval': 3,
        },
    }


def _raw_test_metrics(test_dir):
    """The metrics line of a test run's JSON log, read directly."""
    runs = sorted(
        d for d in glob.glob(osp.join(test_dir, '2*')) if osp.isdir(d))
    with open(osp.join(runs[-1], osp.basename(runs[-1]) + '.json')) as f:
        lines = [json.loads(x) for x in f if x.strip()]
    return lines[-1]


def _done_records(root):
    out = {}
    for path in glob.glob(osp.join(root, '**', 'DONE.json'), recursive=True):
        with open(path) as f:
            rec = json.load(f)
        out[rec['stage']] = (rec, os.stat(path).st_mtime_ns)
    return out


@pytest.fixture(scope='module')
def finished_study(synthetic_root, tmp_path_factory):
    workspace = tmp_path_factory.mktemp('mills_study')
    os.makedirs(workspace / 'data')
    os.symlink(synthetic_root, workspace / 'data' / 'synthetic')
    cwd = os.getcwd()
    threads = os.environ.get('OMP_NUM_THREADS')
    os.environ['OMP_NUM_THREADS'] = '1'  # stages share two cores
    os.chdir(workspace)
    try:
        options = _tiny_options(synthetic_root)
        runner = StudyRunner(STUDY, cfg_options=options)
        records = runner.run()
        first = _done_records(WORK_ROOT)
        # Run again: everything is done, nothing re-runs, the report is
        # rebuilt from the records.
        again = StudyRunner(STUDY, cfg_options=options).run()
        second = _done_records(WORK_ROOT)
    finally:
        os.chdir(cwd)
        if threads is None:
            os.environ.pop('OMP_NUM_THREADS', None)
        else:
            os.environ['OMP_NUM_THREADS'] = threads
    return dict(
        root=str(workspace / WORK_ROOT),
        records=records,
        again=again,
        first=first,
        second=second)


def test_stages_ran_once_and_resume_reruns_nothing(finished_study):
    records = finished_study['records']
    assert sorted(records) == sorted([
        'pretrain/pose2d_r18/seed0',
        'export/pose2d_r18/seed0',
        'finetune/integral_r18_h36m/pose2d_r18/100p/seed0',
        'test/integral_r18_h36m/pose2d_r18/100p/seed0',
        'finetune/integral_r18_h36m/scratch/100p/seed0',
        'test/integral_r18_h36m/scratch/100p/seed0',
        'finetune/integral_r18_occlusion-person/pose2d_r18/100p/seed0',
        'test/integral_r18_occlusion-person/pose2d_r18/100p/seed0',
    ])
    assert finished_study['first'] == finished_study['second']
    assert finished_study['again'] == records
    # The 3D-only run trained longer (its scratch options) from random
    # weights; the pre-trained one loaded the exported 2D backbone.
    root = finished_study['root']
    scratch = records['finetune/integral_r18_h36m/scratch/100p/seed0']
    pre = records['finetune/integral_r18_h36m/pose2d_r18/100p/seed0']
    assert [e for e, _ in scratch['result']['val_curve']['h36m/mpjpe']] == \
        [1, 2, 3]
    assert [e for e, _ in pre['result']['val_curve']['h36m/mpjpe']] == [1, 2]
    log = ''.join(
        open(p).read() for p in glob.glob(
            osp.join(
                root, 'finetune/integral_r18_h36m/pose2d_r18/100p/'
                'seed0/2*/2*.log')))
    backbone = osp.abspath(
        osp.join(root, 'pretrain/pose2d_r18/seed0/export/backbone.pth'))
    n = len(torch.load(backbone, weights_only=True)['state_dict'])
    assert f'loaded {n}/{n} tensors from {backbone} into ResNet' in log


def test_generalization_matrix_holds_the_logged_numbers(finished_study):
    root = finished_study['root']
    with open(osp.join(root, 'report', 'generalization.csv')) as f:
        # The models' rows (baseline rows, when the study has them, carry
        # kind 'baseline').
        rows = [r for r in csv.DictReader(f) if r['kind'] == 'method']
    with open(osp.join(root, 'report', 'results.md')) as f:
        markdown = f.read()
    cells = {('integral_r18_h36m', 'pose2d_r18'),
             ('integral_r18_h36m', 'scratch'),
             ('integral_r18_occlusion-person', 'pose2d_r18')}
    assert {(r['regressor'], r['method']) for r in rows} == cells
    assert len(rows) == len(cells) * len(TEST_SETS)
    for regressor, method in cells:
        logged = _raw_test_metrics(
            osp.join(root, 'test', regressor, method, '100p', 'seed0'))
        line = [
            r for r in rows
            if r['regressor'] == regressor and r['method'] == method
        ]
        for row in line:
            key = f'{row["test_set"]}/mpjpe'
            assert float(row['mean']) == logged[key]
        # The Markdown row: the same numbers, two decimals, in test-set
        # order.
        train = 'Human3.6M (synthetic h36m)' if regressor.endswith(
            'h36m') else 'Occlusion-Person (synthetic occluders)'
        init = '3D only' if method == 'scratch' else '2D pose'
        expected = (f'| ResNet-18 | {init} | {train} | ' +
                    ' | '.join(f'{logged[f"{t}/mpjpe"]:.2f}'
                               for t in TEST_SETS) + ' |')
        assert expected in markdown
    # Every stage's measured time is in the compute table.
    with open(osp.join(root, 'report', 'compute.csv')) as f:
        compute = {r['stage']: r for r in csv.DictReader(f)}
    for name, rec in finished_study['records'].items():
        assert float(compute[name]['seconds']) == pytest.approx(
            rec['seconds'], abs=0.06)
        assert float(compute[name]['device_hours']) == pytest.approx(
            rec['seconds'] * rec['gpus'] / 3600, abs=1e-6)


def test_report_has_the_2d_stage_and_the_compute_plot(finished_study):
    root = finished_study['root']
    with open(osp.join(root, 'report', 'pretrain_2d.csv')) as f:
        rows = {r['metric']: r for r in csv.DictReader(f)}
    # The 2D stage's validation, as its own log has it.
    logged = {}
    for path in glob.glob(
            osp.join(root, 'pretrain/pose2d_r18/seed0/2*/vis_data/'
                     'scalars.json')):
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                if 'PCK' in rec:
                    logged = rec
    assert float(rows['PCK']['value']) == logged['PCK']
    assert rows['PCK']['name'] == 'PCK@0.05'
    with open(osp.join(root, 'report', 'results.md')) as f:
        markdown = f.read()
    for section in ('## 2D pre-training', '## Generalisation matrix',
                    '## Pre-trained vs 3D-only',
                    '## MPJPE against training compute', '## Compute'):
        assert section in markdown
    png = osp.join(root, 'report', 'mpjpe_vs_compute.png')
    with open(png, 'rb') as f:
        head = f.read(24)
    assert head[:8] == b'\x89PNG\r\n\x1a\n'
    width, height = struct.unpack('>II', head[16:24])
    assert width > 200 and height > 200
