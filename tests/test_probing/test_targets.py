"""The probes' targets and scores against hand computations and the body
model."""
import numpy as np
import pytest
import torch

from hpse_bench.body_models import SMPL
from hpse_bench.probing.targets import (angular_difference, facing_accuracy,
                                        facing_yaw, joints3d_lsp14_mm,
                                        keypoints2d_crop, majority_yaw, pck_2d)
from hpse_bench.structures.rotation import (axis_angle_to_matrix,
                                            matrix_to_axis_angle)


def _rot(axis, angle):
    v = torch.zeros(1, 3, dtype=torch.float64)
    v[0, axis] = angle
    return axis_angle_to_matrix(v)[0]


@pytest.mark.parametrize('turn_deg', [0.0, 30.0, 90.0, 150.0, -120.0])
def test_facing_is_the_yaw_of_the_global_orientation(turn_deg):
    # SMPL's rest pose faces +z with y up; a rotation of pi about x stands
    # it upright facing the camera (y down, z away), a turn about the
    # camera's vertical axis then turns it by turn_deg.
    smpl = SMPL()
    orient = _rot(1, np.deg2rad(turn_deg)) @ _rot(0, np.pi)
    with torch.no_grad():
        out = smpl(
            betas=torch.zeros(1, 10),
            body_pose=torch.zeros(1, 69),
            global_orient=matrix_to_axis_angle(orient[None]).float())
    joints = out['keypoints_h36m17'][0].double().numpy()
    kp3d = np.concatenate([joints, np.ones((17, 1))], axis=1)[None]
    yaw, ok = facing_yaw(kp3d)
    forward = orient.numpy() @ np.array([0.0, 0.0, 1.0])
    expected = np.arctan2(forward[0], -forward[2])  # 0: facing the camera
    assert ok[0]
    assert np.rad2deg(angular_difference(yaw[0], expected)) < 3.0
    if turn_deg == 0.0:
        assert abs(yaw[0]) < np.deg2rad(3.0)


def test_facing_needs_the_torso_joints():
    kp3d = np.zeros((2, 17, 4))
    kp3d[:, :, 3] = 1
    kp3d[0, 1, :3] = [0.1, 0, 0]   # left hip
    kp3d[0, 4, :3] = [-0.1, 0, 0]  # right hip
    kp3d[0, 8, :3] = [0, -0.5, 0]  # thorax, up (y down)
    kp3d[1] = kp3d[0]
    kp3d[1, 8, 3] = 0  # thorax unlabelled
    yaw, ok = facing_yaw(kp3d)
    assert ok.tolist() == [True, False]
    assert abs(yaw[0]) < 1e-12  # left on +x, up on -y: facing the camera


def test_facing_accuracy_and_majority_direction_by_hand():
    deg = np.deg2rad
    gt = deg(np.array([10.0, 20.0, 30.0, 200.0]))
    # Errors 10, 40, 50 (wrapped: 30 - (-20)) and 180 - 20 = 160 degrees.
    pred = deg(np.array([0.0, 60.0, -20.0, 20.0]))
    assert facing_accuracy(pred, gt) == pytest.approx(50.0)
    best = majority_yaw(gt)
    # Three of the four lie within 45 degrees of it, and none can hold all.
    assert facing_accuracy(np.full(4, best), gt) == pytest.approx(75.0)
    assert np.rad2deg(angular_difference(deg(350.0), deg(-5.0))) == \
        pytest.approx(5.0)


def test_pck_2d_by_hand():
    gt = np.zeros((1, 3, 2))
    pred = np.array([[[0.05, 0.0], [0.0, 0.1], [0.3, 0.4]]])
    mask = np.array([[True, True, False]])
    # 0.05 < 0.1 hits, 0.1 is not below 0.1, the third is not labelled.
    assert pck_2d(pred, gt, mask) == pytest.approx(50.0)


def test_crop_keypoints_follow_the_warp():
    kp = np.zeros((1, 17, 3))
    kp[0, :, 0] = np.arange(17) * 10.0
    kp[0, :, 1] = 5.0
    kp[0, :, 2] = 1.0
    kp[0, 6, 2] = 0.0  # right ankle (LSP joint 0) unlabelled
    warp = np.array([[[0.5, 0.0, 3.0], [0.0, 0.5, -1.0]]])
    crop, mask = keypoints2d_crop(kp, warp, np.array([[64.0, 32.0]]))
    # LSP joint 0 is H36M joint 6 (right ankle): x 60 -> 33, y 5 -> 1.5.
    np.testing.assert_allclose(crop[0, 0], [33.0 / 64, 1.5 / 32])
    assert mask[0].tolist() == [False] + [True] * 13


def test_3d_targets_are_lsp14_in_mm_about_the_mid_hip():
    kp = np.zeros((1, 17, 4))
    kp[0, :, :3] = np.random.default_rng(0).normal(size=(17, 3))
    kp[0, :, 3] = 1
    joints, mask = joints3d_lsp14_mm(kp)
    mid_hip = 1000 * (kp[0, 1, :3] + kp[0, 4, :3]) / 2
    np.testing.assert_allclose(joints[0, 0], 1000 * kp[0, 6, :3] - mid_hip)
    np.testing.assert_allclose(joints[0, 2:4].mean(0), 0, atol=1e-9)
    assert mask.all()
