"""The pose prior: joint limits, one-way hinges, plausible distributions."""
import numpy as np
import pytest
import torch

from hpse_bench.body_models import SMPL
from hpse_bench.structures.conventions import SMPL_24, SMPL_PARENTS
from hpse_bench.synthetic.pose_prior import (ACTIVITIES, PosePrior,
                                             axis_angle_to_euler,
                                             euler_to_axis_angle)

J = {name: i for i, name in enumerate(SMPL_24)}


def rot(axis: str, degrees: float) -> np.ndarray:
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    return {
        'x': np.array([[1, 0, 0], [0, c, -s], [0, s, c]]),
        'y': np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]),
        'z': np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]),
    }[axis]


def rodrigues(rotvec: np.ndarray) -> np.ndarray:
    angle = np.linalg.norm(rotvec)
    if angle < 1e-12:
        return np.eye(3)
    k = rotvec / angle
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * kx + (1 - np.cos(angle)) * kx @ kx


@pytest.fixture(scope='module')
def samples():
    prior = PosePrior()
    rng = np.random.default_rng(0)
    poses = np.stack([prior.sample_body_pose(rng) for _ in range(400)])
    return prior, poses


def test_euler_convention_matches_hand_written_matrices():
    rng = np.random.default_rng(1)
    # Euler angles are unique for a middle (y) angle inside +-90 degrees.
    angles = rng.uniform(-80, 80, (20, 3))
    rotvec = euler_to_axis_angle(angles)
    for a, r in zip(angles, rotvec):
        expected = rot('x', a[0]) @ rot('y', a[1]) @ rot('z', a[2])
        np.testing.assert_allclose(rodrigues(r), expected, atol=1e-10)
    np.testing.assert_allclose(axis_angle_to_euler(rotvec), angles,
                               atol=1e-8)
    # sample_body_pose is sample_angles through this conversion.
    prior = PosePrior()
    a = prior.sample_angles(np.random.default_rng(5))
    np.testing.assert_allclose(
        prior.sample_body_pose(np.random.default_rng(5)),
        euler_to_axis_angle(a))


def test_samples_stay_inside_the_limits():
    prior = PosePrior()
    rng = np.random.default_rng(0)
    angles = np.stack([prior.sample_angles(rng) for _ in range(400)])
    assert np.all(angles >= prior.lower - 1e-6)
    assert np.all(angles <= prior.upper + 1e-6)
    # Not a constant: every joint moves about at least one axis.
    assert np.all(angles.std(0).max(1) > 1.0)


def test_limits_are_left_right_mirrors():
    prior = PosePrior()
    for name in SMPL_24:
        if not name.startswith('left_'):
            continue
        left = J[name] - 1
        right = J['right_' + name[5:]] - 1
        np.testing.assert_allclose(prior.lower[right, 0],
                                   prior.lower[left, 0])
        np.testing.assert_allclose(prior.lower[right, 1:],
                                   -prior.upper[left, 1:])
    rng = np.random.default_rng(2)
    angles = prior.sample_angles(rng)
    np.testing.assert_allclose(
        prior.mirror_angles(prior.mirror_angles(angles)), angles)


def global_rotations(pose: np.ndarray) -> np.ndarray:
    """``(24, 3, 3)`` world rotation of every joint's frame (the global
    orientation is zero)."""
    out = np.zeros((24, 3, 3))
    out[0] = np.eye(3)
    for j in range(1, 24):
        out[j] = out[SMPL_PARENTS[j]] @ rodrigues(pose[j - 1])
    return out


def test_knees_and_elbows_bend_one_way(samples):
    """Hinges checked on the posed skeleton, independently of the Euler
    convention: in the thigh's frame a bent shin points backwards (-z); in
    the upper arm's frame a bent forearm points forwards (+z)."""
    _, poses = samples
    n = len(poses)
    with torch.no_grad():
        out = SMPL()(
            betas=torch.zeros(n, 10),
            body_pose=torch.as_tensor(poses, dtype=torch.float32),
            global_orient=torch.zeros(n, 3))
    joints = out['joints_smpl24'].double().numpy()
    frames = np.stack([global_rotations(p) for p in poses])
    for side in ('left', 'right'):
        for parent, joint, child, direction in (('hip', 'knee', 'ankle', -1),
                                                ('shoulder', 'elbow',
                                                 'wrist', 1)):
            a, b, c = (J[f'{side}_{x}'] for x in (parent, joint, child))
            first = joints[:, b] - joints[:, a]
            second = joints[:, c] - joints[:, b]
            cosine = np.einsum('nc,nc->n', first, second) / (
                np.linalg.norm(first, axis=1) *
                np.linalg.norm(second, axis=1))
            bend = np.degrees(np.arccos(np.clip(cosine, -1, 1)))
            # 145 degrees of flexion, plus the rest pose's own slight bend.
            assert bend.max() <= 155.0
            # The limb's direction in the frame of the segment above it.
            local = np.einsum('nji,nj->ni', frames[:, a], second)
            forward = direction * local[:, 2] / np.linalg.norm(local, axis=1)
            bent = bend > 25
            assert bent.sum() > 20
            assert np.all(forward[bent] > 0), (side, joint)
            # Nearly straight limbs may overshoot by a few degrees at most.
            assert forward.min() > -np.sin(np.radians(12))


def test_standing_people_mostly_have_their_arms_down():
    """A realistic prior, not uniform noise: in the standing mode the
    hands hang below the shoulders, the feet are below the hips."""
    prior = PosePrior()
    rng = np.random.default_rng(3)
    poses = np.stack(
        [prior.sample_body_pose(rng, 'standing') for _ in range(100)])
    with torch.no_grad():
        out = SMPL()(
            betas=torch.zeros(100, 10),
            body_pose=torch.as_tensor(poses, dtype=torch.float32),
            global_orient=torch.zeros(100, 3))
    joints = out['joints_smpl24'].numpy()
    for side in ('left', 'right'):
        wrist_y = joints[:, J[f'{side}_wrist'], 1]
        shoulder_y = joints[:, J[f'{side}_shoulder'], 1]
        below = wrist_y < shoulder_y
        assert below.mean() > 0.9
        feet = joints[:, J[f'{side}_ankle'], 1] < joints[:, J[f'{side}_hip'],
                                                         1] - 0.5
        assert feet.mean() > 0.95


def test_activities_and_shapes():
    prior = PosePrior(activities=dict(walking=1.0))
    rng = np.random.default_rng(4)
    angles = np.stack([prior.sample_angles(rng) for _ in range(200)])
    hip_x = angles[:, J['left_hip'] - 1, 0] - angles[:, J['right_hip'] - 1,
                                                     0]
    # Walking swings the legs apart (either leg forward, mirrored).
    assert np.mean(np.abs(hip_x) > 20) > 0.8
    betas = np.stack([prior.sample_betas(rng) for _ in range(500)])
    assert betas.shape == (500, 10)
    assert np.abs(betas).max() <= 2.5
    assert 0.8 < betas.std() < 1.1
    with pytest.raises(KeyError, match='known'):
        PosePrior(activities=dict(flying=1.0))
    assert set(ACTIVITIES) >= {'standing', 'walking', 'crouching'}
