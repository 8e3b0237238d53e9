"""Regressor heads: soft-argmax, mean-parameter start, part attention."""
import numpy as np
import pytest
import torch

from hpse_bench.body_models import get_smpl_root
from hpse_bench.models.heads.integral_head import soft_argmax_3d
from hpse_bench.models.heads.pare_head import part_attention_pool
from hpse_bench.models.regressors.pymaf import farthest_point_indices
from hpse_bench.registry import MODELS
from hpse_bench.structures.rotation import rot6d_to_matrix


def _mean_params_path():
    return f'{get_smpl_root("embedded")}/smpl_mean_params.npz'


def test_soft_argmax_3d_on_hand_built_heatmaps():
    d, h, w = 4, 5, 6
    hm = torch.full((1, 3, d, h, w), -1e4)
    # Joint 0: a single peak at (x=1, y=3, z=2).
    hm[0, 0, 2, 3, 1] = 0
    # Joint 1: two equal peaks, at (x=0, y=0, z=0) and (x=4, y=2, z=3):
    # the expectation is their midpoint.
    hm[0, 1, 0, 0, 0] = 0
    hm[0, 1, 3, 2, 4] = 0
    # Joint 2: weights 1 and 3 (log-odds log 3) at x = 1 and x = 5.
    hm[0, 2, 1, 1, 1] = 0
    hm[0, 2, 1, 1, 5] = float(np.log(3.0))
    coords, probs = soft_argmax_3d(hm)
    expected = torch.tensor([[1.0, 3.0, 2.0], [2.0, 1.0, 1.5],
                             [(1 + 3 * 5) / 4, 1.0, 1.0]])
    torch.testing.assert_close(coords[0], expected)
    torch.testing.assert_close(probs.sum(dim=(2, 3, 4)), torch.ones(1, 3))
    # A flat volume gives the centre.
    flat, _ = soft_argmax_3d(torch.zeros(2, 1, d, h, w))
    torch.testing.assert_close(flat, torch.tensor([(w - 1) / 2, (h - 1) / 2,
                                                   (d - 1) / 2]).expand(
                                                       2, 1, 3))


def test_hmr_head_starts_from_mean_parameters():
    head = MODELS.build(
        dict(type='HMRHead', in_channels=32, mean_params=_mean_params_path()))
    for layer in (head.regressor.dec_pose, head.regressor.dec_betas,
                  head.regressor.dec_cam):
        torch.nn.init.zeros_(layer.weight)
    head.eval()
    out = head(torch.randn(2, 32, 4, 4))
    mean = np.load(_mean_params_path())
    torch.testing.assert_close(out['pred_pose6d'][1],
                               torch.from_numpy(mean['pose']).float())
    torch.testing.assert_close(out['pred_cam'][0],
                               torch.from_numpy(mean['cam']).float())
    assert out['pred_rotmat'].shape == (2, 24, 3, 3)
    torch.testing.assert_close(
        out['pred_rotmat'],
        rot6d_to_matrix(out['pred_pose6d'].reshape(2, 24, 6)))


def test_mean_params_errors_name_the_file(tmp_path):
    bad = tmp_path / 'mean.npz'
    np.savez(bad, pose=np.zeros(144), shape=np.zeros(10))
    with pytest.raises(KeyError, match='cam'):
        MODELS.build(
            dict(type='HMRHead', in_channels=8, mean_params=str(bad)))
    with pytest.raises(FileNotFoundError, match='missing.npz'):
        MODELS.build(
            dict(
                type='HMRHead',
                in_channels=8,
                mean_params=str(tmp_path / 'missing.npz')))


def test_part_attention_pool_matches_loop():
    feats = torch.randn(2, 5, 3, 4)
    logits = torch.randn(2, 7, 3, 4)
    got = part_attention_pool(feats, logits)
    for b in range(2):
        for p in range(7):
            att = torch.softmax(logits[b, p].flatten(), 0)
            ref = (feats[b].flatten(1) * att).sum(-1)
            torch.testing.assert_close(got[b, p], ref)


def test_pare_head_shapes_and_mean_start():
    head = MODELS.build(
        dict(
            type='PAREHead',
            in_channels=16,
            mean_params=_mean_params_path(),
            deconv_channels=(8, 8),
            deconv_kernels=(4, 4),
            shape_feat_channels=4))
    out = head(torch.randn(2, 16, 3, 3))
    assert out['pred_part_logits'].shape == (2, 25, 12, 12)
    assert out['pred_rotmat'].shape == (2, 24, 3, 3)
    # Near-zero output layers: the start is close to the mean body.
    mean = torch.from_numpy(np.load(_mean_params_path())['cam']).float()
    assert (out['pred_cam'] - mean).abs().max() < 0.1


def test_farthest_point_indices():
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(200, 3))
    idx = farthest_point_indices(pts, 20)
    assert len(set(idx.tolist())) == 20
    np.testing.assert_array_equal(idx, farthest_point_indices(pts, 20))
    # Brute-force reference of the greedy rule.
    chosen = [0]
    for _ in range(19):
        dist = np.min(
            np.linalg.norm(pts[:, None] - pts[chosen][None], axis=-1),
            axis=1)
        chosen.append(int(np.argmax(dist)))
    np.testing.assert_array_equal(idx, chosen)
    with pytest.raises(ValueError):
        farthest_point_indices(pts, 201)
