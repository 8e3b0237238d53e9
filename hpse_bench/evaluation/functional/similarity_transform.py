"""Similarity (Procrustes) alignment of point sets, batched over samples."""
from typing import Any, Optional, Tuple, Union

import numpy as np

from ._array import as_float64, as_mask


def similarity_transform(
    pred: Any,
    gt: Any,
    mask: Optional[Any] = None,
    return_params: bool = False,
) -> Union[np.ndarray, Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Align ``pred`` to ``gt`` by the least-squares similarity transform.

    For each sample, finds the scale ``s``, rotation ``R`` and translation
    ``t`` minimising ``sum_j m_j ||s R p_j + t - g_j||^2`` (Umeyama, "Least-
    squares estimation of transformation parameters between two point
    patterns", TPAMI 1991, Eq. 40-42): with the weighted centroids removed,
    ``H = sum_j m_j p_j g_j^T = U S V^T``, ``R = V diag(1, 1, d) U^T`` with
    ``d = sign(det(V U^T))``, and ``s = tr(diag(1, 1, d) S) / sum_j m_j
    ||p_j||^2``. The factor ``d`` is the reflection fix: without it a mirrored
    prediction would be "aligned" by an improper rotation (det -1) and score
    a perfect PA-MPJPE.

    Only joints with ``mask > 0`` enter the estimate (an absent ground-truth
    joint carries no information about the pose), but every joint of ``pred``
    is transformed. A sample with no valid joint, or whose valid predicted
    joints coincide, is returned translated only (``s = 1``, ``R = I``).

    All samples are solved at once: one batched SVD of ``(N, 3, 3)``
    matrices, no Python loop.

    Args:
        pred: ``(N, J, 3)`` or ``(J, 3)`` points to align (array or tensor).
        gt: target points, same shape as ``pred``.
        mask: ``(N, J)`` or ``(J,)`` joint confidences or booleans; ``None``
            uses every joint.
        return_params: also return ``(scale, rotation, translation)``.

    Returns:
        The aligned ``pred`` (float64, shape of ``pred``); with
        ``return_params`` also ``scale (N,)``, ``rotation (N, 3, 3)`` (proper,
        ``det = +1``) and ``translation (N, 3)`` such that
        ``aligned = scale * pred @ rotation.T + translation``.
    """
    pred = as_float64(pred, 'pred')
    gt = as_float64(gt, 'gt')
    if pred.shape != gt.shape or pred.ndim not in (2, 3) \
            or pred.shape[-1] != 3:
        raise ValueError('pred and gt must both have shape (N, J, 3) or '
                         f'(J, 3); got {pred.shape} and {gt.shape}')
    single = pred.ndim == 2
    if single:
        pred, gt = pred[None], gt[None]
        mask = None if mask is None else as_float64(mask, 'mask')[None]
    weight = as_mask(mask, pred.shape[:2]).astype(np.float64)

    # Weighted centroids; a sample without valid joints gets zero centroids.
    count = weight.sum(axis=1)  # (N,)
    safe_count = np.where(count > 0, count, 1.0)[:, None]
    mu_pred = np.einsum('nj,njk->nk', weight, pred) / safe_count
    mu_gt = np.einsum('nj,njk->nk', weight, gt) / safe_count
    pred0 = pred - mu_pred[:, None]
    gt0 = gt - mu_gt[:, None]

    # Cross-covariance H = sum_j m_j p_j g_j^T, (N, 3, 3).
    cov = np.matmul((pred0 * weight[..., None]).transpose(0, 2, 1), gt0)
    u, sing, vt = np.linalg.svd(cov)
    v = vt.transpose(0, 2, 1)
    # Reflection fix: flip the last singular direction where det(V U^T) < 0.
    det = np.linalg.det(np.matmul(v, u.transpose(0, 2, 1)))
    d = np.where(det < 0, -1.0, 1.0)
    v[:, :, 2] *= d[:, None]
    rotation = np.matmul(v, u.transpose(0, 2, 1))

    var_pred = np.einsum('nj,nj->n', weight, (pred0**2).sum(axis=-1))
    trace = sing[:, 0] + sing[:, 1] + d * sing[:, 2]
    degenerate = var_pred <= np.finfo(np.float64).tiny
    scale = np.where(degenerate, 1.0,
                     trace / np.where(degenerate, 1.0, var_pred))
    rotation[degenerate] = np.eye(3)

    translation = mu_gt - scale[:, None] * np.einsum('nij,nj->ni', rotation,
                                                     mu_pred)
    aligned = scale[:, None, None] * np.matmul(pred, rotation.transpose(
        0, 2, 1)) + translation[:, None]
    if single:
        aligned = aligned[0]
    if return_params:
        return aligned, scale, rotation, translation
    return aligned
