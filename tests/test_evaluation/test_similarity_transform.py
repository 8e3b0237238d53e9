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
