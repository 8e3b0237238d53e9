"""Frozen-feature probes end to end on the tiny synthetic data, and the
read-out on features that hold the answer."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmpretrain.models.backbones import ResNet
from probing_samples import HMR_CONFIG, REPO, as_cli, fixture_options

from hpse_bench.apis.probe import main as probe_main
from hpse_bench.checkpoint import export_backbone
from hpse_bench.evaluation.functional import (procrustes_mean,
                                              similarity_transform)
from hpse_bench.probing import data as probe_data
from hpse_bench.probing import fit_and_score, run_probe
from hpse_bench.probing.features import standardise
from hpse_bench.probing.targets import (angular_difference, facing_yaw,
                                        joints3d_lsp14_mm, keypoints2d_crop)
from hpse_bench.structures.rotation import axis_angle_to_matrix
from hpse_bench.utils.fileio import file_sha256

HEADLINE = ('probe/3d_pa_mpjpe', 'probe/2d_pck', 'probe/facing_acc')
TOOL = os.path.join(REPO, 'tools', 'analysis_tools', 'probe_backbone.py')


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    """An R18 with random weights, exported by the project's exporter."""
    folder = tmp_path_factory.mktemp('probe_backbone')
    torch.manual_seed(5)
    net = ResNet(depth=18, init_cfg=None)
    ckpt = str(folder / 'model.pth')
    torch.save({'state_dict': {f'backbone.{k}': v
                               for k, v in net.state_dict().items()}}, ckpt)
    out = str(folder / 'backbone.pth')
    export_backbone(ckpt, out)
    return out


def test_cli_writes_the_contract(synthetic_root, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH',
                                                             ''))
    proc = subprocess.run(
        [sys.executable, TOOL, HMR_CONFIG, '--backbone', 'none',
         '--seed', '3', '--work-dir', str(tmp_path), '--cfg-options',
         *as_cli(fixture_options(synthetic_root))],
        capture_output=True, text=True, timeout=600, env=env, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(tmp_path / 'probe.json') as f:
        out = json.load(f)
    assert set(HEADLINE) <= set(out['metrics'])
    assert set(out['chance']) == set(out['metrics'])
    for key in HEADLINE:
        assert isinstance(out['metrics'][key], float)
        assert isinstance(out['chance'][key], float)
        # The headline is the h36m test set's value.
        name = key.split('/')[1]
        assert out['metrics'][key] == out['metrics'][f'probe/h36m/{name}']
    meta = out['meta']
    assert meta['seed'] == 3 and meta['random_init'] is True
    assert meta['train_sets'] == ['h36m'] and meta['num_train_rows'] == 8
    assert meta['test_sets'] == {'pw3d': 9, 'h36m': 8, 'mupots': 21}
    assert meta['feature_dim'] == 256 * 4 + 512 * 4


def test_an_exported_backbone_is_probed_and_recorded(hmr_cfg, exported):
    first = run_probe(hmr_cfg, exported, max_test_samples=4)
    again = run_probe(hmr_cfg, exported, max_test_samples=4)
    assert first['metrics'] == again['metrics']
    assert first['meta']['backbone']['sha256'] == file_sha256(exported)
    assert first['meta']['test_sets'] == {'pw3d': 4, 'h36m': 4, 'mupots': 4}
    for key in HEADLINE:
        assert np.isfinite(first['metrics'][key])


def test_a_backbone_of_another_depth_is_refused(synthetic_root, exported,
                                                tmp_path, capsys):
    code = probe_main([
        HMR_CONFIG, '--backbone', exported, '--work-dir', str(tmp_path),
        '--cfg-options', *as_cli(fixture_options(synthetic_root)),
        'model.backbone.depth=34'
    ])
    assert code == 1
    err = capsys.readouterr().err
    assert 'backbone.pth does not fit' in err and 'depth=34' in err
    assert not (tmp_path / 'probe.json').exists()


def _pose_like_labels(n, seed):
    """Labels of ``n`` people: random joints around a standing skeleton,
    each turned about the vertical axis, seen in a 64-pixel crop."""
    rng = np.random.default_rng(seed)
    base = rng.normal(scale=0.25, size=(17, 3))
    base[[1, 4, 8, 0]] = [[0.1, 0, 0], [-0.1, 0, 0], [0, -0.5, 0], [0, 0, 0]]
    yaw = rng.uniform(-np.pi, np.pi, n)
    c, s = np.cos(yaw), np.sin(yaw)
    rot = np.zeros((n, 3, 3))
    rot[:, 0, 0], rot[:, 0, 2], rot[:, 1, 1] = c, s, 1
    rot[:, 2, 0], rot[:, 2, 2] = -s, c
    joints = np.einsum('nij,kj->nki', rot,
                       base) + rng.normal(scale=0.03, size=(n, 17, 3))
    joints[..., 2] += 4.0
    kp3d = np.concatenate([joints, np.ones((n, 17, 1))], axis=2)
    kp2d = np.concatenate([joints[..., :2] / joints[..., 2:] * 100 + 32,
                           np.ones((n, 17, 1))], axis=2)
    return dict(
        keypoints3d=kp3d,
        keypoints2d_img=kp2d,
        warp_mat=np.tile(np.eye(2, 3), (n, 1, 1)),
        crop_size=np.full((n, 2), 64.0),
        has_keypoints3d=np.ones(n))


def _answer(labels, reference=None):
    # The 3D probe regresses poses aligned to the training poses'
    # Procrustes mean, so features that hold the answer hold that form.
    joints, _ = joints3d_lsp14_mm(labels['keypoints3d'])
    if reference is not None:
        joints = similarity_transform(joints,
                                      np.broadcast_to(reference, joints.shape))
    crop, _ = keypoints2d_crop(labels['keypoints2d_img'],
                               labels['warp_mat'], labels['crop_size'])
    yaw, _ = facing_yaw(labels['keypoints3d'])
    n = len(yaw)
    return np.concatenate([
        joints.reshape(n, -1), crop.reshape(n, -1),
        np.sin(yaw)[:, None], np.cos(yaw)[:, None]], axis=1)


def test_features_that_hold_the_answer_give_no_error():
    train, test = _pose_like_labels(300, 0), _pose_like_labels(60, 1)
    reference = procrustes_mean(joints3d_lsp14_mm(train['keypoints3d'])[0])
    train_x, (test_x, ) = standardise(
        _answer(train, reference), [_answer(test, reference)])
    out = fit_and_score(train_x, train, {'set': (test_x, test)})
    assert out['3d_pa_mpjpe']['values']['set'] < 0.5
    assert out['2d_pck']['values']['set'] == 100.0
    assert out['facing_acc']['values']['set'] == 100.0
    # The constant predictors are far off on the same people.
    assert out['3d_pa_mpjpe']['chance']['set'] > 50.0
    assert out['facing_acc']['chance']['set'] < 60.0
    assert out['3d_pa_mpjpe']['num_train'] == 300


def test_crop_targets_and_facing_read_the_packed_samples(hmr_cfg):
    sets = probe_data.test_sets(hmr_cfg)
    sel = probe_data.Selection(sets, [np.arange(len(d)) for d in sets])
    labels, poses = [], []
    for batch in probe_data.batches(sel, batch_size=16):
        labels.append(probe_data.sample_labels(batch['data_samples']))
        poses += [s.gt_smpl_pose[:3].numpy() for s in batch['data_samples']]
    labels = {k: np.concatenate([b[k] for b in labels]) for k in labels[0]}
    crop, mask = keypoints2d_crop(labels['keypoints2d_img'],
                                  labels['warp_mat'], labels['crop_size'])
    inside = ((crop >= 0) & (crop <= 1)).all(axis=-1)[mask]
    assert inside.mean() > 0.95
    # Facing from the torso joints is the yaw of the labelled global
    # orientation (SMPL's rest pose faces +z).
    yaw, ok = facing_yaw(labels['keypoints3d'])
    rot = axis_angle_to_matrix(torch.as_tensor(np.stack(poses))).numpy()
    forward = rot @ np.array([0.0, 0.0, 1.0])
    from_orientation = np.arctan2(forward[:, 0], -forward[:, 2])
    assert ok.all()
    assert np.rad2deg(angular_difference(yaw, from_orientation)).max() < 15
