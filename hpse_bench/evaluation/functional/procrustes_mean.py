"""The generalised Procrustes mean of a set of poses: the constant pose that
Procrustes-aligned errors (PA-MPJPE) favour, used for constant baselines
and for the canonical frame of the frozen-feature 3D probe."""
from typing import Optional

import numpy as np

from .similarity_transform import similarity_transform


def _centred(pose: np.ndarray, weights: Optional[np.ndarray] = None):
    """``pose`` ``(J, 3)`` minus its centroid over the joints of weight 1
    (``weights`` ``(J, 1)``, default all), and its size there (root of the
    sum of squares)."""
    if weights is None:
        weights = np.ones((len(pose), 1))
    centroid = (pose * weights).sum(0) / max(weights.sum(), 1.0)
    pose = pose - centroid
    return pose, float(np.sqrt((weights * pose**2).sum()))


def procrustes_mean(poses: np.ndarray,
                    valid: Optional[np.ndarray] = None,
                    max_iters: int = 50,
                    tol: float = 1e-6) -> np.ndarray:
    """Generalised Procrustes mean of ``(N, J, 3)`` poses.

    Alternates similarity-aligning every pose to the current mean
    (:func:`similarity_transform`) and averaging the aligned poses (Gower,
    Psychometrika 1975), starting from the per-joint average. The mean's
    size is held at the average size of the poses, which fixes the scale
    freedom of the problem.

    Args:
        poses: joints, in any unit.
        valid: ``(N, J)`` labelled joints (default: all); unlabelled ones
            neither steer an alignment nor enter the average.
        max_iters: alternations at most.
        tol: stop when no joint of the mean moves more than this (in the
            poses' unit).

    Returns:
        ``(J, 3)`` mean pose, centred on its joints' centroid.
    """
    poses = np.asarray(poses, dtype=np.float64)
    if valid is None:
        valid = np.ones(poses.shape[:2], dtype=bool)
    valid = np.asarray(valid, dtype=bool)
    if not valid.any(axis=0).all():
        raise ValueError('procrustes_mean: some joint is never labelled, '
                         'so the mean is undefined there')
    weights = valid[..., None].astype(np.float64)
    count = weights.sum(0)
    mean, _ = _centred((poses * weights).sum(0) / count)
    target = float(
        np.mean([
            _centred(p, w)[1] for p, w in zip(poses, weights) if w.any()
        ]))
    for _ in range(max_iters):
        aligned = similarity_transform(
            poses, np.broadcast_to(mean, poses.shape), valid)
        update, size = _centred((aligned * weights).sum(0) / count)
        update *= target / size
        moved = float(np.abs(update - mean).max())
        mean = update
        if moved < tol:
            break
    return mean
