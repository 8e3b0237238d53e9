import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from hpse_bench.evaluation.functional import (align_by_pelvis, joint_errors,
                                              mpjpe, pa_mpjpe, pelvis, pve,
                                              reduce_joint_errors)
from hpse_bench.structures.conventions import LSP_14


def test_mpjpe_by_hand():
    gt = np.zeros((2, 3, 3))
    pred = gt.copy()
    pred[0, 0] = [3.0, 4.0, 0.0]  # 5
    pred[0, 1] = [0.0, 0.0, 2.0]  # 2
    pred[1, 2] = [1.0, 2.0, 2.0]  # 3
    # Pooled: (5 + 2 + 0 + 0 + 0 + 3) / 6.
    assert mpjpe(pred, gt) == pytest.approx(10.0 / 6.0)
    # Per sample: (7/3 + 3/3) / 2, the same here (equal joint counts).
    assert mpjpe(pred, gt, reduction='samples') == pytest.approx(10.0 / 6.0)
    np.testing.assert_allclose(
        mpjpe(pred, gt, reduction='none'), [7.0 / 3.0, 1.0])


def test_mask_definitions_by_hand():
    gt = np.zeros((2, 3, 3))
    pred = gt.copy()
    pred[0, :, 0] = [6.0, 1000.0, 3.0]
    pred[1, :, 0] = [1.0, 1000.0, 1000.0]
    mask = np.array([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    # Pooled over valid joints: (6 + 3 + 1) / 3.
    assert mpjpe(pred, gt, mask) == pytest.approx(10.0 / 3.0)
    # Per sample first: ((6 + 3) / 2 + 1 / 1) / 2.
    assert mpjpe(pred, gt, mask, 'samples') == pytest.approx(2.75)
    # Boolean masks and confidences are the same thing.
    assert mpjpe(pred, gt, mask > 0) == mpjpe(pred, gt, mask * 0.7)
    # A sample without valid joints is nan per sample and left out otherwise.
    mask[1] = 0
    np.testing.assert_allclose(mpjpe(pred, gt, mask, 'none'), [4.5, np.nan])
    assert mpjpe(pred, gt, mask, 'samples') == pytest.approx(4.5)
    with pytest.raises(ValueError, match='no valid joint'):
        mpjpe(pred, gt, np.zeros((2, 3)))


def test_pve_by_hand():
    gt = np.zeros((2, 4, 3))
    pred = gt.copy()
    pred[0] += [0.0, 3.0, 4.0]  # every vertex 5 away
    pred[1, 0] = [0.0, 0.0, 8.0]  # one vertex 8 away, three exact
    assert pve(pred, gt) == pytest.approx((5.0 * 4 + 8.0) / 8)
    np.testing.assert_allclose(pve(pred, gt, reduction='none'), [5.0, 2.0])


def _loop_errors(pred, gt, mask):
    """Independent per-sample loop: MPJPE and PA-MPJPE per sample."""
    plain, aligned = [], []
    for p, g, m in zip(pred, gt, mask):
        m = m > 0
        plain.append(
            np.mean([np.linalg.norm(p[j] - g[j]) for j in np.flatnonzero(m)]))
        pv, gv = p[m], g[m]
        p0, g0 = pv - pv.mean(0), gv - gv.mean(0)
        rot, _ = Rotation.align_vectors(g0, p0)
        rp = rot.apply(p0)
        scale = np.sum(g0 * rp) / np.sum(p0 * p0)
        fitted = scale * rp + gv.mean(0)
        aligned.append(np.mean(np.linalg.norm(fitted - gv, axis=1)))
    return np.array(plain), np.array(aligned), mask.sum(1)


@pytest.mark.parametrize('with_mask', [False, True])
def test_vectorised_equals_per_sample_loop(with_mask):
    rng = np.random.default_rng(10)
    gt = rng.normal(scale=300.0, size=(200, 14, 3))
    pred = gt @ Rotation.random(random_state=3).as_matrix().T * 1.1 + \
        rng.normal(scale=60.0, size=gt.shape) + 25.0
    mask = np.ones((200, 14))
    if with_mask:
        mask = (rng.random((200, 14)) > 0.3).astype(float)
        mask[:, :4] = 1.0
    plain, aligned, counts = _loop_errors(pred, gt, mask)
    np.testing.assert_allclose(mpjpe(pred, gt, mask, 'none'), plain, atol=1e-6)
    np.testing.assert_allclose(
        pa_mpjpe(pred, gt, mask, 'none'), aligned, atol=1e-6)
    assert mpjpe(pred, gt, mask, 'samples') == pytest.approx(
        plain.mean(), abs=1e-6)
    assert pa_mpjpe(pred, gt, mask, 'samples') == pytest.approx(
        aligned.mean(), abs=1e-6)
    # Pooled: per-sample sums over the total count.
    assert mpjpe(pred, gt, mask) == pytest.approx(
        (plain * counts).sum() / counts.sum(), abs=1e-6)
    assert pa_mpjpe(pred, gt, mask) == pytest.approx(
        (aligned * counts).sum() / counts.sum(), abs=1e-6)
    if with_mask:  # the two definitions differ when counts differ
        assert abs(mpjpe(pred, gt, mask) -
                   mpjpe(pred, gt, mask, 'samples')) > 1e-3


def test_pelvis_alignment():
    rng = np.random.default_rng(11)
    lsp = rng.normal(size=(5, 14, 3))
    hips = [LSP_14.index('right_hip'), LSP_14.index('left_hip')]
    np.testing.assert_allclose(pelvis(lsp), lsp[:, hips].mean(1))
    np.testing.assert_allclose(
        align_by_pelvis(lsp)[:, hips].mean(1), 0, atol=1e-12)
    h36m = rng.normal(size=(5, 17, 3))
    np.testing.assert_allclose(
        align_by_pelvis(h36m, 'h36m_17'), h36m - h36m[:, :1])
    with pytest.raises(ValueError, match='joint_set'):
        pelvis(lsp, 'smpl_24')


def test_torch_inputs_and_errors():
    rng = np.random.default_rng(12)
    gt = rng.normal(size=(4, 14, 3))
    pred = gt + 0.1
    expected = joint_errors(pred, gt)
    got = joint_errors(torch.from_numpy(pred), torch.from_numpy(gt))
    np.testing.assert_allclose(got, expected)
    with pytest.raises(ValueError, match='reduction'):
        reduce_joint_errors(expected, None, 'mean')
    with pytest.raises(ValueError, match='shape'):
        mpjpe(pred, gt[:, :13])


def test_pve_equals_per_sample_loop():
    rng = np.random.default_rng(13)
    gt = rng.normal(scale=300.0, size=(5, 6890, 3))
    pred = gt + rng.normal(scale=20.0, size=gt.shape)
    per_sample = [
        np.mean([np.sqrt(np.sum((p[v] - g[v])**2)) for v in range(len(p))])
        for p, g in zip(pred, gt)
    ]
    np.testing.assert_allclose(
        pve(pred, gt, reduction='none'), per_sample, atol=1e-6)
    assert pve(pred, gt) == pytest.approx(np.mean(per_sample), abs=1e-6)
