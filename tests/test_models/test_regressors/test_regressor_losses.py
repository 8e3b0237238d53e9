"""Keypoint and SMPL losses against per-sample loops worked by hand."""
import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from hpse_bench.registry import MODELS


def test_keypoint2d_loss_matches_loop():
    rng = np.random.default_rng(0)
    pred, target = rng.normal(size=(2, 3, 5, 2))
    conf = rng.uniform(0, 1, size=(3, 5))
    conf[0, 1] = 0
    loss = MODELS.build(dict(type='Keypoint2DLoss', loss_weight=2.0))
    got = loss(*(torch.from_numpy(a) for a in (pred, target, conf)))
    total = 0.0
    for b in range(3):
        for k in range(5):
            for d in range(2):
                total += conf[b, k] * (pred[b, k, d] - target[b, k, d])**2
    assert float(got) == pytest.approx(2.0 * total / (3 * 5 * 2))
    l1 = MODELS.build(dict(type='Keypoint2DLoss', criterion='l1'))
    got = l1(*(torch.from_numpy(a) for a in (pred, target, conf)))
    ref = (conf[..., None] * np.abs(pred - target)).mean()
    assert float(got) == pytest.approx(ref)


def test_keypoint3d_loss_aligns_roots_and_masks():
    rng = np.random.default_rng(1)
    pred = rng.normal(size=(4, 17, 3))
    target = rng.normal(size=(4, 17, 3))
    conf = rng.uniform(0.5, 1, size=(4, 17))
    valid = np.array([1, 0, 1, 0.0])
    loss = MODELS.build(dict(type='Keypoint3DLoss', root_indices=0))
    got = loss(*(torch.from_numpy(a) for a in (pred, target, conf, valid)))
    errs = []
    for b in (0, 2):
        p = pred[b] - pred[b, 0]
        t = target[b] - target[b, 0]
        errs.append(conf[b][:, None] * (p - t)**2)
    assert float(got) == pytest.approx(np.mean(errs))
    # Root alignment: a global shift of the prediction changes nothing.
    shifted = pred + np.array([1.0, -2.0, 3.0])
    args = (shifted, target, conf, valid)
    got2 = loss(*(torch.from_numpy(a) for a in args))
    assert float(got2) == pytest.approx(float(got))
    # Mid-hip root, as SPIN's 24-joint version.
    hips = MODELS.build(dict(type='Keypoint3DLoss', root_indices=[1, 4]))
    p = pred - pred[:, [1, 4]].mean(1, keepdims=True)
    t = target - target[:, [1, 4]].mean(1, keepdims=True)
    ref = (conf[..., None] * (p - t)**2)[valid > 0].mean()
    got3 = hips(*(torch.from_numpy(a) for a in (pred, target, conf, valid)))
    assert float(got3) == pytest.approx(ref)


def test_masked_losses_without_valid_sample_are_connected_zeros():
    pred = torch.randn(2, 17, 3, requires_grad=True)
    loss = MODELS.build(dict(type='Keypoint3DLoss'))(
        pred, torch.randn(2, 17, 3), torch.ones(2, 17), torch.zeros(2))
    assert float(loss.detach()) == 0
    loss.backward()
    assert pred.grad is not None and float(pred.grad.abs().sum()) == 0
    rot = torch.randn(2, 24, 3, 3, requires_grad=True)
    pose_loss = MODELS.build(dict(type='SMPLPoseLoss'))(
        rot, torch.zeros(2, 72), torch.zeros(2))
    pose_loss.backward()
    assert float(pose_loss.detach()) == 0 and rot.grad is not None


def test_smpl_pose_loss_uses_rotation_matrices():
    rv = Rotation.random(2 * 24, random_state=3).as_rotvec()
    target_pose = rv.reshape(2, 72)
    pred_rot = Rotation.random(2 * 24, random_state=4).as_matrix().reshape(
        2, 24, 3, 3)
    valid = np.array([0.0, 1.0])
    loss = MODELS.build(dict(type='SMPLPoseLoss', loss_weight=3.0))
    got = loss(
        torch.from_numpy(pred_rot), torch.from_numpy(target_pose),
        torch.from_numpy(valid))
    gt_rot = Rotation.from_rotvec(rv).as_matrix().reshape(2, 24, 3, 3)
    ref = 3.0 * ((pred_rot[1] - gt_rot[1])**2).mean()
    assert float(got) == pytest.approx(ref)


def test_betas_vertex_prior_and_camera_losses():
    pred = torch.tensor([[1.0] * 10, [2.0] * 10])
    target = torch.zeros(2, 10)
    valid = torch.tensor([0.0, 1.0])
    assert float(MODELS.build(dict(type='SMPLBetasLoss'))(
        pred, target, valid)) == pytest.approx(4.0)
    assert float(MODELS.build(dict(type='VertexLoss'))(
        pred, target, valid)) == pytest.approx(2.0)
    assert float(MODELS.build(dict(type='BetasPriorLoss', loss_weight=2.0))(
        pred)) == pytest.approx(2.0 * (1 + 4) / 2)
    cam = torch.tensor([[0.1, 0, 0], [-0.2, 0, 0]])
    ref = (np.exp(-1.0)**2 + np.exp(2.0)**2) / 2
    assert float(MODELS.build(dict(type='CameraScaleLoss'))(cam)) == \
        pytest.approx(ref)


def test_shape_mismatch_and_unknown_criterion_raise():
    with pytest.raises(ValueError, match='criterion'):
        MODELS.build(dict(type='Keypoint2DLoss', criterion='huber'))
    with pytest.raises(ValueError, match='shapes do not match'):
        MODELS.build(dict(type='Keypoint2DLoss'))(
            torch.zeros(2, 17, 2), torch.zeros(2, 16, 2), torch.zeros(2, 17))
