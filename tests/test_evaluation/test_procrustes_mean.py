"""The generalised Procrustes mean, against constructed cases."""
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from hpse_bench.evaluation.functional import pa_mpjpe, procrustes_mean


def _similar_copies(pose, num, rng):
    rots = Rotation.random(num, random_state=rng).as_matrix()
    scales = rng.uniform(0.5, 2.0, num)
    shifts = rng.normal(size=(num, 1, 3))
    return np.einsum('nij,kj->nki', rots, pose) * scales[:, None, None] \
        + shifts


def test_similar_copies_of_one_pose_have_that_pose_as_mean():
    rng = np.random.default_rng(0)
    pose = rng.normal(size=(14, 3))
    copies = _similar_copies(pose, 40, rng)
    mean = procrustes_mean(copies)
    assert pa_mpjpe(mean[None], pose[None]) < 1e-8
    # Held at the copies' average size.
    sizes = [np.sqrt(((c - c.mean(0))**2).sum()) for c in copies]
    assert np.sqrt((mean**2).sum()) == pytest.approx(np.mean(sizes))


def test_beats_the_plain_average_of_rotated_poses_and_is_a_local_optimum():
    rng = np.random.default_rng(1)
    base = rng.normal(size=(14, 3))
    poses = _similar_copies(base, 60, rng) + rng.normal(
        scale=0.05, size=(60, 14, 3))
    mean = procrustes_mean(poses)

    def total(candidate):
        return pa_mpjpe(np.broadcast_to(candidate, poses.shape), poses)

    # The per-joint average of randomly rotated poses collapses; the
    # Procrustes mean does not.
    assert total(mean) < 0.5 * total(poses.mean(0))
    # No small perturbation lowers the aligned error noticeably.
    for _ in range(20):
        nudged = mean + rng.normal(scale=0.01, size=mean.shape)
        assert total(nudged) >= total(mean) - 1e-4


def test_unlabelled_joints_do_not_steer_it():
    rng = np.random.default_rng(2)
    pose = rng.normal(size=(10, 3))
    copies = _similar_copies(pose, 20, rng)
    valid = np.ones(copies.shape[:2], dtype=bool)
    valid[::2, 3] = False
    corrupt = copies.copy()
    corrupt[~valid] = 1e3  # garbage where unlabelled
    mean = procrustes_mean(corrupt, valid)
    assert pa_mpjpe(mean[None], pose[None]) < 1e-6
    never = np.ones_like(valid)
    never[:, 0] = False
    with pytest.raises(ValueError, match='never labelled'):
        procrustes_mean(copies, never)
