import sys

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from hpse_bench.evaluation.functional import (mpjpe, pa_mpjpe,
                                              similarity_transform)


def _random_poses(rng, num=8, joints=14):
    # Joint positions in millimetres, spread like a body (~0.5 m).
    return rng.normal(scale=300.0, size=(num, joints, 3))


def _reference_alignment(pred, gt, mask):
    """Per-sample loop: Kabsch rotation from scipy, then LS scale/shift."""
    out = np.empty_like(pred)
    for n in range(pred.shape[0]):
        w = mask[n].astype(np.float64)
        mu_p = (w[:, None] * pred[n]).sum(0) / w.sum()
        mu_g = (w[:, None] * gt[n]).sum(0) / w.sum()
        p0, g0 = pred[n] - mu_p, gt[n] - mu_g
        # R minimising sum w |g0 - R p0|^2 over proper rotations.
        rot, _ = Rotation.align_vectors(g0, p0, weights=w)
        rp = rot.apply(p0)
        scale = (w * (g0 * rp).sum(1)).sum() / (w * (p0 * p0).sum(1)).sum()
        out[n] = scale * rp + mu_g
    return out


def test_identity_gives_zero():
    gt = _random_poses(np.random.default_rng(0))
    assert pa_mpjpe(gt, gt) == pytest.approx(0.0, abs=1e-9)
    assert mpjpe(gt, gt) == 0.0
    aligned, scale, rot, shift = similarity_transform(
        gt, gt, return_params=True)
    np.testing.assert_allclose(aligned, gt, atol=1e-9)
    np.testing.assert_allclose(scale, 1.0, atol=1e-12)
    np.testing.assert_allclose(
        rot, np.broadcast_to(np.eye(3), rot.shape), atol=1e-12)


def test_similar_copy_is_aligned_exactly():
    rng = np.random.default_rng(1)
    gt = _random_poses(rng)
    rot = Rotation.random(len(gt), random_state=2).as_matrix()
    scale = rng.uniform(0.5, 2.0, size=len(gt))
    shift = rng.normal(scale=1000.0, size=(len(gt), 1, 3))
    pred = scale[:, None, None] * np.einsum('nij,nkj->nki', rot, gt) + shift
    assert mpjpe(pred, gt) > 100.0
    assert pa_mpjpe(pred, gt) < 1e-6
    _, s, r, _ = similarity_transform(pred, gt, return_params=True)
    np.testing.assert_allclose(s, 1.0 / scale, rtol=1e-9)
    np.testing.assert_allclose(r, rot.transpose(0, 2, 1), atol=1e-9)


def test_mirrored_copy_is_not_aligned_by_a_reflection():
    rng = np.random.default_rng(3)
    gt = _random_poses(rng)
    mirrored = gt * np.array([-1.0, 1.0, 1.0])
    # An orthogonal matrix with det -1 would map it back exactly ...
    assert pa_mpjpe(mirrored, gt) > 10.0
    # ... but the estimated transform is a proper rotation.
    _, _, rot, _ = similarity_transform(mirrored, gt, return_params=True)
    np.testing.assert_allclose(np.linalg.det(rot), 1.0, atol=1e-9)
    np.testing.assert_allclose(
        np.matmul(rot, rot.transpose(0, 2, 1)),
        np.broadcast_to(np.eye(3), rot.shape),
        atol=1e-9)
    # And it is the best proper rotation: the independent reference agrees.
    np.testing.assert_allclose(
        similarity_transform(mirrored, gt),
        _reference_alignment(mirrored, gt, np.ones(gt.shape[:2], bool)),
        atol=1e-6)


def test_matches_per_sample_reference_on_random_data():
    rng = np.random.default_rng(4)
    gt = _random_poses(rng, num=64)
    pred = gt + rng.normal(scale=80.0, size=gt.shape)
    mask = rng.random(gt.shape[:2]) > 0.2
    mask[:, :4] = True  # at least 4 valid joints per sample
    aligned = similarity_transform(pred, gt, mask)
    reference = _reference_alignment(pred, gt, mask)
    np.testing.assert_allclose(aligned, reference, atol=1e-6)


def test_masked_joints_do_not_influence_alignment():
    rng = np.random.default_rng(5)
    gt = _random_poses(rng, num=4)
    pred = gt + rng.normal(scale=50.0, size=gt.shape)
    mask = np.ones(gt.shape[:2])
    mask[:, [0, 5]] = 0.0
    corrupted = gt.copy()
    corrupted[:, [0, 5]] = 1e4  # garbage where the annotation is absent
    valid = mask.astype(bool)
    np.testing.assert_allclose(
        similarity_transform(pred, corrupted, mask)[:, valid[0]],
        similarity_transform(pred, gt, mask)[:, valid[0]],
        atol=1e-9)
    assert pa_mpjpe(pred, corrupted, mask) == pytest.approx(
        pa_mpjpe(pred, gt, mask), abs=1e-9)


def test_single_sample_and_torch_inputs():
    rng = np.random.default_rng(6)
    gt = _random_poses(rng, num=3)
    pred = gt + rng.normal(scale=30.0, size=gt.shape)
    batched = similarity_transform(pred, gt)
    np.testing.assert_allclose(
        similarity_transform(pred[1], gt[1]), batched[1], atol=1e-9)
    from_torch = similarity_transform(
        torch.from_numpy(pred).float(),
        torch.from_numpy(gt).float())
    assert from_torch.dtype == np.float64
    np.testing.assert_allclose(from_torch, batched, atol=1e-3)


def test_sample_without_valid_joint_is_left_in_place():
    rng = np.random.default_rng(7)
    gt = _random_poses(rng, num=2)
    pred = gt + 10.0
    mask = np.ones(gt.shape[:2])
    mask[1] = 0
    aligned = similarity_transform(pred, gt, mask)
    np.testing.assert_allclose(aligned[1], pred[1])
    np.testing.assert_allclose(aligned[0], gt[0], atol=1e-9)


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match='shape'):
        similarity_transform(np.zeros((2, 14, 3)), np.zeros((2, 13, 3)))
    with pytest.raises(ValueError, match='mask'):
        similarity_transform(
            np.zeros((2, 14, 3)), np.zeros((2, 14, 3)), np.ones((2, 13)))


# --- Equality with an independent per-sample SVD solution ------------------


def _umeyama_svd(pred, gt, mask):
    """One sample at a time: Umeyama (TPAMI 1991, Eq. 40-42) by SVD.

    With no valid joint, or valid predicted joints that coincide, the pose
    is only translated (s = 1, R = I), as ``similarity_transform`` documents.
    """
    out = np.empty_like(pred)
    for n in range(pred.shape[0]):
        w = mask[n].astype(np.float64)
        if w.sum() == 0:
            out[n] = pred[n]
            continue
        mu_p = (w[:, None] * pred[n]).sum(0) / w.sum()
        mu_g = (w[:, None] * gt[n]).sum(0) / w.sum()
        p0, g0 = pred[n] - mu_p, gt[n] - mu_g
        var = (w * (p0 * p0).sum(1)).sum()
        if var <= np.finfo(np.float64).tiny:
            out[n] = p0 + mu_g
            continue
        u, s, vt = np.linalg.svd((w[:, None] * p0).T @ g0)
        d = np.sign(np.linalg.det(vt.T @ u.T)) or 1.0
        rot = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
        scale = (s[0] + s[1] + d * s[2]) / var
        out[n] = scale * p0 @ rot.T + mu_g
    return out


def _hard_batch(seed, num=200):
    """Random, mirrored and degenerate samples mixed in one batch.

    Returns ``(pred, gt, mask, unique)``; ``unique`` marks the samples whose
    rotation is unique (there every joint is compared, elsewhere the valid
    joints, which any optimal rotation puts in the same place).
    """
    rng = np.random.default_rng(seed)
    gt = rng.normal(
        scale=300.0, size=(num, 14, 3)) + rng.normal(
            scale=2000.0, size=(num, 1, 3))
    pred = 0.9 * gt + rng.normal(scale=60.0, size=gt.shape) - 500.0
    mask = rng.random(gt.shape[:2]) > 0.15
    unique = np.ones(num, bool)
    kind = np.arange(num) % 10
    # 1: mirrored (the best orthogonal fit is a reflection).
    pred[kind == 1] *= np.array([-1.0, 1.0, 1.0])
    # 2: predicted valid joints collinear; 3: both collinear.
    line = rng.normal(size=3)
    for k in (2, 3):
        t = rng.normal(scale=300.0, size=((kind == k).sum(), 14, 1))
        pred[kind == k] = t * line + 100.0
        unique[kind == k] = False
    gt[kind == 3] = rng.normal(scale=2.0, size=((kind == 3).sum(), 14, 1)) \
        * rng.normal(size=3) * 100.0
    # 4: predicted joints coplanar (exactly, z = 7); 5: both coplanar.
    pred[kind == 4, :, 2] = 7.0
    pred[kind == 5, :, 2] = -3.0
    gt[kind == 5, :, 1] = 40.0
    # 6: nearly collinear; 7: 0, 1 or 2 valid joints.
    near = kind == 6
    pred[near] = rng.normal(scale=300.0, size=(near.sum(), 14, 1)) * line \
        + rng.normal(scale=1e-6, size=(near.sum(), 14, 3))
    unique[near] = False
    for i, n in enumerate(np.flatnonzero(kind == 7)):
        mask[n] = False
        mask[n, rng.choice(14, size=i % 3, replace=False)] = True
        unique[n] = i % 3 < 2  # two points fix all but the spin about them
    return pred, gt, mask, unique


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_equals_per_sample_svd_on_random_mirrored_and_degenerate(seed):
    pred, gt, mask, unique = _hard_batch(seed)
    got = similarity_transform(pred, gt, mask)
    expected = _umeyama_svd(pred, gt, mask)
    np.testing.assert_allclose(
        got[unique], expected[unique], rtol=0, atol=1e-6)
    np.testing.assert_allclose(got[mask], expected[mask], rtol=0, atol=1e-6)
    np.testing.assert_allclose(
        pa_mpjpe(pred, gt, mask, reduction='none'), [
            np.linalg.norm(e - g, axis=1)[m].mean() if m.any() else np.nan
            for e, g, m in zip(expected, gt, mask)
        ],
        rtol=0,
        atol=1e-6)


def test_equals_per_sample_svd_on_realistic_poses_with_every_joint():
    # The benchmark's data: similar poses with noise, one in 7 mirrored.
    rng = np.random.default_rng(8)
    gt = rng.normal(scale=300.0, size=(3000, 14, 3))
    pred = 1.05 * gt + rng.normal(scale=50.0, size=gt.shape) + 100.0
    pred[::7] *= np.array([-1.0, 1.0, 1.0])
    everything = np.ones(gt.shape[:2], bool)
    np.testing.assert_allclose(
        similarity_transform(pred, gt),
        _umeyama_svd(pred, gt, everything),
        rtol=0,
        atol=1e-6)


def test_non_finite_values_in_invalid_joints_do_not_matter():
    rng = np.random.default_rng(9)
    gt = _random_poses(rng, num=6)
    pred = gt + rng.normal(scale=40.0, size=gt.shape)
    mask = np.ones(gt.shape[:2])
    mask[:, [3, 9]] = 0.0
    dirty_pred, dirty_gt = pred.copy(), gt.copy()
    dirty_pred[0, 3] = np.nan
    dirty_pred[2, 9] = [np.inf, 0.0, -np.inf]
    dirty_gt[4, 3] = np.nan
    clean = similarity_transform(pred, gt, mask)
    dirty = similarity_transform(dirty_pred, dirty_gt, mask)
    valid = mask.astype(bool)
    np.testing.assert_allclose(dirty[valid], clean[valid], rtol=0, atol=1e-9)
    assert pa_mpjpe(dirty_pred, dirty_gt, mask) == pytest.approx(
        pa_mpjpe(pred, gt, mask), abs=1e-9)


def test_non_finite_valid_joint_spoils_only_its_own_sample():
    rng = np.random.default_rng(10)
    gt = _random_poses(rng, num=5)
    pred = gt + rng.normal(scale=40.0, size=gt.shape)
    dirty = pred.copy()
    dirty[1, 4, 0] = np.nan
    dirty[3, 0] = np.inf
    aligned, scale, rot, shift = similarity_transform(
        dirty, gt, return_params=True)
    assert np.isnan(aligned[[1, 3]]).all() and np.isnan(scale[[1, 3]]).all()
    others = [0, 2, 4]
    np.testing.assert_allclose(
        aligned[others],
        similarity_transform(pred[others], gt[others]),
        atol=1e-9)
    per_sample = pa_mpjpe(dirty, gt, reduction='none')
    assert np.isnan(per_sample[[1, 3]]).all()
    np.testing.assert_allclose(
        per_sample[others],
        pa_mpjpe(pred[others], gt[others], None, 'none'),
        atol=1e-9)
    # A data-set value over a non-finite error is refused, not nan.
    with pytest.raises(ValueError, match=r'non-finite.*\[1, 3\]'):
        pa_mpjpe(dirty, gt)


def test_svd_is_left_only_to_ill_separated_samples(monkeypatch):
    # The equality tests above hold for both solvers; this one checks that
    # realistic samples (mirrored ones included) take the quaternion path,
    # and the collinear ones the SVD.
    module = sys.modules['hpse_bench.evaluation.functional.'
                         'similarity_transform']
    sent = []
    svd_rotation = module._svd_rotation
    monkeypatch.setattr(module, '_svd_rotation',
                        lambda cov: sent.append(len(cov)) or svd_rotation(cov))
    rng = np.random.default_rng(11)
    gt = _random_poses(rng, num=700)
    pred = gt + rng.normal(scale=60.0, size=gt.shape)
    pred[::7] *= np.array([-1.0, 1.0, 1.0])
    pred[:5] = rng.normal(size=(5, 14, 1)) * np.array([1.0, 2.0, 3.0])
    similarity_transform(pred, gt)
    assert sum(sent) == 5


def test_blocks_of_samples_give_the_same_result(monkeypatch):
    module = sys.modules['hpse_bench.evaluation.functional.'
                         'similarity_transform']
    pred, gt, mask, _ = _hard_batch(3, num=50)
    whole = similarity_transform(pred, gt, mask, return_params=True)
    monkeypatch.setattr(module, '_BLOCK', 7)
    blocks = similarity_transform(pred, gt, mask, return_params=True)
    for a, b in zip(whole, blocks):
        np.testing.assert_array_equal(a, b)
