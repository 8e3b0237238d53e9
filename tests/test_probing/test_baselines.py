"""Baseline rows on the tiny synthetic data, through the config's own test
evaluator, against hand computations."""
import copy
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from probing_samples import HMR_CONFIG, REPO, as_cli, fixture_options

from hpse_bench.evaluation.functional import procrustes_mean
from hpse_bench.probing import LABELS
from hpse_bench.probing import data as probe_data
from hpse_bench.probing import run_baselines, training_mean_pose
from hpse_bench.probing.baseline_predictor import BaselineMeshPredictor
from hpse_bench.probing.baselines import predictor_kwargs
from hpse_bench.registry import DATASETS

TABLE_KEYS = {'3dpw/pa_mpjpe', '3dpw/mpjpe', '3dpw/pve', 'h36m/pa_mpjpe',
              'h36m/mpjpe', 'mupots/pck_all', 'mupots/auc_all'}


def _umeyama_errors(pred, gt):
    """Per-joint errors after the least-squares similarity transform
    (Umeyama, TPAMI 1991), written out for one sample."""
    mp, mg = pred.mean(0), gt.mean(0)
    p, g = pred - mp, gt - mg
    u, s, vt = np.linalg.svd(g.T @ p)
    d = np.eye(3)
    d[2, 2] = np.sign(np.linalg.det(u @ vt))
    rot = u @ d @ vt
    scale = np.trace(np.diag(s) @ d) / (p**2).sum()
    return np.linalg.norm(scale * p @ rot.T + mg - gt, axis=1)


def _lsp14_mid_hip_mm(h36m17):
    from hpse_bench.structures.conventions import H36M_TO_LSP14
    lsp = 1000.0 * np.asarray(h36m17, np.float64)[H36M_TO_LSP14]
    return lsp - lsp[2:4].mean(0)


@pytest.fixture(scope='module')
def rows(hmr_cfg):
    return run_baselines(hmr_cfg)


def test_cli_writes_the_contract(synthetic_root, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH',
                                                             ''))
    proc = subprocess.run(
        [sys.executable, '-m', 'hpse_bench.apis.baselines', HMR_CONFIG,
         '--work-dir', str(tmp_path), '--cfg-options',
         *as_cli(fixture_options(synthetic_root))],
        capture_output=True, text=True, timeout=600, env=env, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(tmp_path / 'baselines.json') as f:
        out = json.load(f)
    assert out['labels'] == {
        'mean_smpl_pose': 'Mean SMPL pose',
        'train_mean_pose': 'Training-set average pose',
        'oracle_pose_mean_shape': 'Oracle pose, mean shape'
    }
    assert set(out['rows']) == set(out['labels'])
    keys = set(out['rows']['mean_smpl_pose'])
    assert TABLE_KEYS <= keys
    for row in out['rows'].values():
        assert set(row) == keys
        assert all(isinstance(v, float) for v in row.values())
    assert 'mupots' in out['notes']


def test_oracle_with_ground_truth_shape_scores_zero(hmr_cfg, rows):
    exact = run_baselines(hmr_cfg, betas_source='ground_truth')
    oracle = exact['rows']['oracle_pose_mean_shape']
    for key in ('3dpw/pa_mpjpe', '3dpw/mpjpe', '3dpw/pve', 'h36m/pa_mpjpe',
                'h36m/mpjpe'):
        assert oracle[key] < 0.01, key
    assert oracle['mupots/pck_all'] == 100.0
    # With the template shape instead, the same pose is off by centimetres
    # (the row of the tables) but far better than any constant.
    mean_shape = rows['rows']['oracle_pose_mean_shape']
    constant = rows['rows']['mean_smpl_pose']
    for key in ('3dpw/pa_mpjpe', 'h36m/pa_mpjpe', 'h36m/mpjpe'):
        assert 1.0 < mean_shape[key] < constant[key] / 2, key
    assert rows['meta']['oracle_test_sets'] == ['pw3d', 'h36m', 'mupots']


def test_train_mean_equals_a_hand_computation(hmr_cfg, rows):
    train_cfg = dict(hmr_cfg.train_dataloader.dataset.datasets[0])
    train_cfg.pop('pipeline', None)
    train = DATASETS.build(train_cfg)
    rel = []
    for i in range(len(train)):
        kp = train.get_data_info(i)['keypoints3d'].astype(np.float64)
        rel.append(kp[:, :3] - kp[0, :3])
    hand_mean = np.mean(rel, axis=0)
    predictor = BaselineMeshPredictor(**predictor_kwargs(hmr_cfg))
    joints, aligned, vertices, info = training_mean_pose(hmr_cfg, predictor)
    np.testing.assert_allclose(joints, hand_mean, atol=1e-6)
    np.testing.assert_allclose(aligned, procrustes_mean(np.asarray(rel)))
    assert info['train_sets'] == ['h36m'] and vertices.shape == (6890, 3)

    test_cfg = dict(hmr_cfg.test_dataloader.dataset.datasets[1])
    test_cfg.pop('pipeline', None)
    test = DATASETS.build(test_cfg)
    assert test.dataset_name == 'h36m'
    pred = _lsp14_mid_hip_mm(hand_mean)
    pred_aligned = _lsp14_mid_hip_mm(aligned)
    errors, pa_errors, pa_camera = [], [], []
    for i in range(len(test)):
        gt = _lsp14_mid_hip_mm(test.get_data_info(i)['keypoints3d'][:, :3])
        errors.append(np.linalg.norm(pred - gt, axis=1))
        pa_errors.append(_umeyama_errors(pred_aligned, gt))
        pa_camera.append(_umeyama_errors(pred, gt))
    row = rows['rows']['train_mean_pose']
    # MPJPE scores the camera-frame average, PA-MPJPE the Procrustes mean
    # (the stronger constant under alignment).
    assert row['h36m/mpjpe'] == pytest.approx(np.mean(errors), abs=1e-3)
    assert row['h36m/pa_mpjpe'] == pytest.approx(np.mean(pa_errors),
                                                 abs=1e-3)
    assert row['h36m/pa_mpjpe'] < np.mean(pa_camera)


def test_rows_carry_the_labels_and_say_how_mupots_is_matched(rows):
    assert rows['labels'] == LABELS
    assert 'ground-truth 2D' in rows['notes']['mupots']
    for row in rows['rows'].values():
        # Every baseline person is matched to its own annotation.
        assert row['mupots/pck_all'] == row['mupots/pck_matched']


def test_the_probes_chance_is_the_procrustes_mean(hmr_cfg):
    # The 3D probe's constant predictor is the Procrustes mean of the
    # training rows' LSP-14 poses, scored by PA-MPJPE; checked against a
    # hand computation with an independent Umeyama.
    from hpse_bench.probing import run_probe
    from hpse_bench.structures.conventions import H36M_TO_LSP14
    probe = run_probe(hmr_cfg, None, max_train_samples=None)
    train_cfg = dict(hmr_cfg.train_dataloader.dataset.datasets[0])
    train_cfg.pop('pipeline', None)
    train = DATASETS.build(train_cfg)
    train_lsp = np.stack([
        _lsp14_mid_hip_mm(train.get_data_info(i)['keypoints3d'][:, :3])
        for i in range(len(train))
    ])
    mean = procrustes_mean(train_lsp)
    test_cfg = dict(hmr_cfg.test_dataloader.dataset.datasets[1])
    test_cfg.pop('pipeline', None)
    test = DATASETS.build(test_cfg)
    errors = [
        _umeyama_errors(mean, _lsp14_mid_hip_mm(
            test.get_data_info(i)['keypoints3d'][:, :3])).mean()
        for i in range(len(test))
    ]
    assert len(H36M_TO_LSP14) == 14
    assert probe['chance']['probe/h36m/3d_pa_mpjpe'] == pytest.approx(
        np.mean(errors), abs=1e-3)


def test_every_baseline_is_located_at_the_labelled_2d_joints(hmr_cfg):
    sets = probe_data.test_sets(hmr_cfg)
    mupots = [d for d in sets if d.dataset_name == 'mupots'][0]
    batch = next(iter(probe_data.batches(
        probe_data.Selection([mupots], [np.arange(6)]), batch_size=6)))
    kwargs = predictor_kwargs(hmr_cfg)
    constant = np.random.default_rng(0).normal(size=(17, 3))
    outputs = [
        predictor.test_step(copy.deepcopy(batch)) for predictor in (
            BaselineMeshPredictor(**kwargs),
            BaselineMeshPredictor(keypoints3d=constant, **kwargs),
            BaselineMeshPredictor(pose='ground_truth', betas='zero',
                                  **kwargs))
    ]
    for out in outputs:
        for sample in out:
            np.testing.assert_array_equal(
                sample.pred_keypoints2d_img.numpy(),
                sample.gt_keypoints2d_img[:, :2].numpy())
    mean, fixed, oracle = ([s.pred_keypoints3d.numpy() for s in out]
                           for out in outputs)
    assert all(np.array_equal(p, mean[0]) for p in mean)
    for p in fixed:
        np.testing.assert_allclose(p, constant, rtol=1e-6)
    assert not np.allclose(oracle[0], oracle[1])
