"""Rotation conversions against scipy.spatial.transform.Rotation."""
import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from hpse_bench.structures.rotation import (axis_angle_to_matrix,
                                            axis_angle_to_quaternion,
                                            matrix_to_axis_angle,
                                            matrix_to_quaternion,
                                            matrix_to_rot6d,
                                            quaternion_to_axis_angle,
                                            quaternion_to_matrix,
                                            rot6d_to_matrix)


def _rotvecs(n=500, seed=0):
    rng = np.random.default_rng(seed)
    axes = rng.normal(size=(n, 3))
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    angles = rng.uniform(0, np.pi, size=(n, 1))
    rv = axes * angles
    # Edge cases: identity, tiny angles, exactly and nearly pi.
    rv[0] = 0
    rv[1] = [1e-9, -2e-9, 0]
    rv[2] = [1e-4, 0, 0]
    rv[3] = [np.pi, 0, 0]
    rv[4] = [0, 0, np.pi - 1e-6]
    rv[5] = np.array([1, 1, 1]) / np.sqrt(3) * np.pi
    return rv


def test_axis_angle_to_matrix_matches_scipy():
    rv = _rotvecs()
    ours = axis_angle_to_matrix(torch.from_numpy(rv)).numpy()
    np.testing.assert_allclose(
        ours, Rotation.from_rotvec(rv).as_matrix(), atol=1e-12)


def test_matrix_to_axis_angle_matches_scipy():
    rv = _rotvecs()
    mats = Rotation.from_rotvec(rv).as_matrix()
    ours = matrix_to_axis_angle(torch.from_numpy(mats)).numpy()
    # Same rotation everywhere (the sign of a pi rotation is ambiguous) ...
    np.testing.assert_allclose(
        Rotation.from_rotvec(ours).as_matrix(), mats, atol=1e-12)
    # ... and the same vector as scipy wherever the angle is below pi.
    below_pi = np.linalg.norm(rv, axis=1) < np.pi - 1e-3
    np.testing.assert_allclose(
        ours[below_pi],
        Rotation.from_matrix(mats[below_pi]).as_rotvec(),
        atol=1e-10)


def test_quaternions_match_scipy():
    rv = _rotvecs()
    mats = Rotation.from_rotvec(rv).as_matrix()
    ref = Rotation.from_rotvec(rv).as_quat()[:, [3, 0, 1, 2]]  # w first
    ref *= np.where(ref[:, :1] < 0, -1, 1)
    q = matrix_to_quaternion(torch.from_numpy(mats)).numpy()
    # q and -q are the same rotation; compare up to that sign.
    np.testing.assert_allclose(np.abs((q * ref).sum(1)), 1, atol=1e-12)
    q2 = axis_angle_to_quaternion(torch.from_numpy(rv)).numpy()
    np.testing.assert_allclose(np.abs((q2 * ref).sum(1)), 1, atol=1e-12)
    np.testing.assert_allclose(
        quaternion_to_matrix(torch.from_numpy(ref)).numpy(), mats,
        atol=1e-12)
    np.testing.assert_allclose(
        Rotation.from_rotvec(
            quaternion_to_axis_angle(torch.from_numpy(ref)).numpy()
        ).as_matrix(), mats, atol=1e-12)


def test_rot6d_layout_and_gram_schmidt():
    mats = torch.from_numpy(Rotation.random(200, random_state=1).as_matrix())
    six = matrix_to_rot6d(mats)
    # SPIN's layout: first two columns, row by row.
    np.testing.assert_allclose(six[:, 0], mats[:, 0, 0])
    np.testing.assert_allclose(six[:, 1], mats[:, 0, 1])
    np.testing.assert_allclose(six[:, 4], mats[:, 2, 0])
    np.testing.assert_allclose(rot6d_to_matrix(six), mats, atol=1e-12)
    # Any non-degenerate 6D vector gives a proper rotation, and the first
    # column keeps the direction of the first stored column.
    raw = torch.randn(300, 6, dtype=torch.float64)
    r = rot6d_to_matrix(raw)
    eye = torch.eye(3, dtype=torch.float64).expand(300, 3, 3)
    np.testing.assert_allclose(r.transpose(1, 2) @ r, eye, atol=1e-12)
    np.testing.assert_allclose(torch.linalg.det(r), 1, atol=1e-12)
    a1 = raw.reshape(-1, 3, 2)[..., 0]
    np.testing.assert_allclose(
        r[..., 0], a1 / a1.norm(dim=-1, keepdim=True), atol=1e-12)


@pytest.mark.parametrize('scale', [0.0, 1e-6, 1.0])
def test_gradients_are_finite(scale):
    x = (torch.randn(8, 3, dtype=torch.float64) * scale).requires_grad_()
    axis_angle_to_matrix(x).sum().backward()
    assert torch.isfinite(x.grad).all()
    m = torch.from_numpy(Rotation.random(8, random_state=2).as_matrix())
    m.requires_grad_()
    matrix_to_axis_angle(m).sum().backward()
    assert torch.isfinite(m.grad).all()


def test_axis_angle_gradient_matches_finite_differences():
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(axis_angle_to_matrix, (x, ))
    small = (torch.randn(4, 3, dtype=torch.float64) * 1e-5).requires_grad_()
    assert torch.autograd.gradcheck(axis_angle_to_matrix, (small, ))


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match='axis_angle_to_matrix'):
        axis_angle_to_matrix(torch.zeros(2, 4))
    with pytest.raises(ValueError, match='rot6d_to_matrix'):
        rot6d_to_matrix(torch.zeros(2, 5))
