"""Mesh and keypoint errors: MPJPE, PA-MPJPE, PVE, pelvis alignment.

Definitions (``e_nj = ||pred_nj - gt_nj||_2``, ``m_nj`` = 1 for a valid
joint, 0 for one whose ground-truth confidence is 0):

- ``reduction='joints'`` (the value the metrics report, and the one
  mmhuman3d's ``keypoint_mpjpe`` computes): every valid joint of the data
  set weighs the same, ``sum_nj m_nj e_nj / sum_nj m_nj``.
- ``reduction='samples'`` (SPIN/PARE evaluation scripts): each sample's mean
  over its valid joints, ``E_n = sum_j m_nj e_nj / sum_j m_nj``, averaged over
  the samples with at least one valid joint.
- ``reduction='none'``: the per-sample ``E_n``, ``(N,)``; ``nan`` for a
  sample without valid joints.

The two data-set values agree whenever every sample has the same number of
valid joints (3DPW and Human3.6M, where every joint is annotated).

The functions are unit-agnostic; the metrics pass millimetres.
"""
from typing import Any, Optional

import numpy as np

from hpse_bench.structures.conventions import H36M_PELVIS_ID, LSP14_HIP_IDS
from ._array import as_float64, as_mask
from .similarity_transform import similarity_transform

REDUCTIONS = ('joints', 'samples', 'none')
# Index of the pelvis, or of the two joints whose midpoint is the pelvis.
PELVIS_JOINTS = {
    'lsp_14': list(LSP14_HIP_IDS),
    'h36m_17': [H36M_PELVIS_ID],
}


def _check_pair(pred: np.ndarray, gt: np.ndarray) -> None:
    if pred.shape != gt.shape or pred.ndim != 3:
        raise ValueError('pred and gt must both have shape (N, J, D); got '
                         f'{pred.shape} and {gt.shape}')


def joint_errors(pred: Any, gt: Any) -> np.ndarray:
    """Euclidean distance per sample and joint, ``(N, J)``.

    Args:
        pred: ``(N, J, D)`` predicted points.
        gt: ``(N, J, D)`` ground-truth points.
    """
    pred = as_float64(pred, 'pred')
    gt = as_float64(gt, 'gt')
    _check_pair(pred, gt)
    squared = pred - gt
    squared *= squared
    # Summing the D columns one by one: numpy's reduction over a short last
    # axis is several times slower.
    total = squared[..., 0].copy()
    for k in range(1, squared.shape[-1]):
        total += squared[..., k]
    return np.sqrt(total)


def reduce_joint_errors(errors: Any,
                        mask: Optional[Any] = None,
                        reduction: str = 'joints'):
    """Reduce per-joint errors ``(N, J)`` to a data-set value.

    See the module docstring for the definitions of ``reduction``.

    Args:
        errors: ``(N, J)`` per-joint errors.
        mask: ``(N, J)`` confidences or booleans; ``None``: all valid.
        reduction: ``'joints'``, ``'samples'`` or ``'none'``.

    Returns:
        A float for ``'joints'`` and ``'samples'``, an ``(N,)`` array for
        ``'none'``.

    Raises:
        ValueError: unknown ``reduction``, wrong mask shape, or (for the
            data-set values) no valid joint at all or a non-finite error at
            a valid joint (``'none'`` gives such a sample nan or inf).
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f'reduction must be one of {REDUCTIONS}, got '
                         f'"{reduction}"')
    errors = as_float64(errors, 'errors')
    if errors.ndim != 2:
        raise ValueError(f'errors must be (N, J), got {errors.shape}')
    valid = as_mask(mask, errors.shape)
    # Zero the invalid entries so that nan/inf there cannot leak into sums.
    masked = np.where(valid, errors, 0.0)
    per_sample_count = valid.sum(axis=1)
    if reduction == 'none':
        with np.errstate(invalid='ignore', divide='ignore'):
            return masked.sum(axis=1) / np.where(per_sample_count > 0,
                                                 per_sample_count, np.nan)
    if not valid.any():
        raise ValueError('no valid joint (every mask entry is 0): the error '
                         'is undefined')
    bad = valid & ~np.isfinite(errors)
    if bad.any():
        samples = np.flatnonzero(bad.any(axis=1)).tolist()
        shown = f'{samples[:20]}' + (' ...' if len(samples) > 20 else '')
        raise ValueError(
            f'non-finite errors (nan/inf) at valid joints of {len(samples)} '
            f'sample(s) {shown}: their prediction or ground truth is not '
            'finite, so a data-set mean is undefined. Leave those samples '
            "out, or use reduction='none' for the per-sample values.")
    if reduction == 'joints':
        return float(masked.sum() / valid.sum())
    has_joint = per_sample_count > 0
    per_sample = masked[has_joint].sum(axis=1) / per_sample_count[has_joint]
    return float(per_sample.mean())


def mpjpe(pred: Any,
          gt: Any,
          mask: Optional[Any] = None,
          reduction: str = 'joints'):
    """Mean per-joint position error, without any alignment.

    Align both inputs first (:func:`align_by_pelvis`) for the usual
    pelvis-aligned MPJPE.

    Args:
        pred: ``(N, J, 3)`` predicted joints.
        gt: ``(N, J, 3)`` ground-truth joints.
        mask: ``(N, J)`` ground-truth confidences; 0 excludes the joint.
        reduction: ``'joints'`` (default), ``'samples'`` or ``'none'``.
    """
    return reduce_joint_errors(joint_errors(pred, gt), mask, reduction)


def pa_mpjpe(pred: Any,
             gt: Any,
             mask: Optional[Any] = None,
             reduction: str = 'joints'):
    """MPJPE after per-sample Procrustes (similarity) alignment.

    The similarity transform is estimated on the valid joints only
    (:func:`similarity_transform`) and the error averaged like
    :func:`mpjpe`. The result does not depend on any prior translation, so
    pelvis alignment is unnecessary.

    Args:
        pred: ``(N, J, 3)`` predicted joints.
        gt: ``(N, J, 3)`` ground-truth joints.
        mask: ``(N, J)`` ground-truth confidences; 0 excludes the joint.
        reduction: ``'joints'`` (default), ``'samples'`` or ``'none'``.
    """
    aligned = similarity_transform(pred, gt, mask)
    return reduce_joint_errors(joint_errors(aligned, gt), mask, reduction)


def pve(pred_vertices: Any, gt_vertices: Any, reduction: str = 'joints'):
    """Per-vertex error: mean distance between corresponding mesh vertices.

    Every vertex is valid, so ``'joints'`` and ``'samples'`` coincide. Like
    MPJPE, no alignment is applied here; the metrics subtract each mesh's
    pelvis first (as PARE's evaluation does).

    Args:
        pred_vertices: ``(N, V, 3)`` predicted vertices.
        gt_vertices: ``(N, V, 3)`` ground-truth vertices.
        reduction: ``'joints'``, ``'samples'`` or ``'none'`` (per sample).
    """
    return reduce_joint_errors(
        joint_errors(pred_vertices, gt_vertices), None, reduction)


def pelvis(keypoints: Any, joint_set: str = 'lsp_14') -> np.ndarray:
    """The pelvis of each sample, ``(N, 3)`` (or ``(3,)`` for ``(J, 3)``).

    Args:
        keypoints: ``(..., J, 3)`` joints of ``joint_set``.
        joint_set: ``'lsp_14'`` (pelvis = mid-hip, ``LSP14_HIP_IDS``) or
            ``'h36m_17'`` (the H36M pelvis joint).
    """
    if joint_set not in PELVIS_JOINTS:
        raise ValueError(f'joint_set must be one of {sorted(PELVIS_JOINTS)}, '
                         f'got "{joint_set}"')
    keypoints = as_float64(keypoints, 'keypoints')
    return keypoints[..., PELVIS_JOINTS[joint_set], :].mean(axis=-2)


def align_by_pelvis(keypoints: Any, joint_set: str = 'lsp_14') -> np.ndarray:
    """Translate each sample so that its pelvis (see :func:`pelvis`) is at 0.

    Args:
        keypoints: ``(..., J, 3)`` joints of ``joint_set``.
        joint_set: ``'lsp_14'`` or ``'h36m_17'``.
    """
    keypoints = as_float64(keypoints, 'keypoints')
    return keypoints - pelvis(keypoints, joint_set)[..., None, :]
