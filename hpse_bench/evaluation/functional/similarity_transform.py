"""Similarity (Procrustes) alignment of point sets, batched over samples.

The alignment is Umeyama's least-squares similarity transform ("Least-
squares estimation of transformation parameters between two point
patterns", TPAMI 1991, Eq. 40-42), rotation included with the reflection
fix. Its rotation, the proper rotation ``R`` maximising ``tr(R H)`` for the
cross-covariance ``H``, is computed for all samples at once from Horn's
quaternion (Horn, JOSA A 1987), as a few element-wise steps on arrays of
samples instead of one 3 x 3 SVD per sample; samples where that eigenvalue
problem is ill-separated (collinear or nearly collinear valid joints, a
mirrored pose with two equal singular values) or the iteration did not
converge take the batched SVD. Both give the same alignment to well below
a micrometre (``tests/test_evaluation/test_similarity_transform.py``), and
the quaternion path is what makes PA-MPJPE many times faster than a loop
over samples (``benchmarks/bench_metrics.py``).
"""
from typing import Any, Optional, Tuple, Union

import numpy as np

from ._array import as_float64, as_mask

# A sample goes to the SVD when the product of the gaps between the largest
# eigenvalue of Horn's matrix and the others (|H|_F = 1) is below this: the
# quaternion's rounding error grows like eps / gaps^2, and stays below
# ~1e-11 (relative) above it.
_MIN_EIGEN_GAPS = 1e-2
# Newton on the characteristic polynomial: relative step at which a sample
# has converged (one more step follows), and the most steps taken.
_NEWTON_TOLERANCE = 1e-10
_NEWTON_MAX_ITER = 30
# Samples solved together (their arrays: about 1 MiB).
_BLOCK = 4096


def similarity_transform(
    pred: Any,
    gt: Any,
    mask: Optional[Any] = None,
    return_params: bool = False,
) -> Union[np.ndarray, Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Align ``pred`` to ``gt`` by the least-squares similarity transform.

    For each sample, finds the scale ``s``, rotation ``R`` and translation
    ``t`` minimising ``sum_j m_j ||s R p_j + t - g_j||^2`` (Umeyama 1991,
    Eq. 40-42): with the weighted centroids removed,
    ``H = sum_j m_j p_j g_j^T = U S V^T``, ``R = V diag(1, 1, d) U^T`` with
    ``d = sign(det(V U^T))``, and ``s = tr(diag(1, 1, d) S) / sum_j m_j
    ||p_j||^2``. The factor ``d`` is the reflection fix: without it a mirrored
    prediction would be "aligned" by an improper rotation (det -1) and score
    a perfect PA-MPJPE. (How ``R`` is computed: module docstring.)

    Only joints with ``mask > 0`` enter the estimate (an absent ground-truth
    joint carries no information about the pose), but every joint of ``pred``
    is transformed. NaN or inf in a joint with mask 0 is ignored (it stays in
    that joint of the output only). A sample with NaN or inf in a valid
    joint of ``pred`` or ``gt`` has no alignment: it comes back all NaN, the
    other samples unaffected. A sample with no valid joint, or whose valid
    predicted joints coincide, is returned translated only (``s = 1``,
    ``R = I``).

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
    valid = as_mask(mask, pred.shape[:2])
    num = pred.shape[0]
    aligned = np.empty_like(pred)
    scale, translation = np.empty(num), np.empty((num, 3))
    rotation = np.empty((num, 3, 3))
    # Blocks of samples whose arrays stay in a core's cache: the many
    # element-wise steps run from there instead of from memory.
    for start in range(0, num, _BLOCK):
        block = slice(start, start + _BLOCK)
        # nan/inf in the input only reach the joints and samples documented.
        with np.errstate(invalid='ignore', over='ignore'):
            pred0, mu_pred, mu_gt, scale[block], rotation[block] = _fit(
                pred[block], gt[block], valid[block])
            np.matmul(
                pred0,
                scale[block, None, None] * rotation[block].transpose(0, 2, 1),
                out=aligned[block])
            aligned[block] += mu_gt[:, None]
            translation[block] = mu_gt - scale[block, None] * np.einsum(
                'nij,nj->ni', rotation[block], mu_pred)
    if single:
        aligned = aligned[0]
    if not return_params:
        return aligned
    return aligned, scale, rotation, translation


def _fit(pred: np.ndarray, gt: np.ndarray, valid: np.ndarray) -> tuple:
    """Centroids, scale and rotation of every sample.

    Returns ``(pred - mu_pred (N, J, 3), mu_pred, mu_gt, scale, rotation)``;
    all NaN for a sample with a non-finite valid joint.
    """
    num, num_joints = pred.shape[:2]
    # Sums over joints as products with a weight vector: numpy reduces over
    # a middle axis several times slower than matmul does.
    if valid.all() and num_joints:
        # The common case, without masking passes.
        mean = np.full((1, num_joints), 1.0 / num_joints)
        mu_pred = np.matmul(mean, pred)[:, 0]
        mu_gt = np.matmul(mean, gt)[:, 0]
        pred0 = pred - mu_pred[:, None]
        pred_w, gt_w = pred0, gt - mu_gt[:, None]
    else:
        weight = valid[..., None]
        # Zero what does not enter the estimate, so that nan/inf there
        # cannot leak into the sums (nan * 0 is nan).
        pred_v = np.where(weight, pred, 0.0)
        gt_v = np.where(weight, gt, 0.0)
        mean = valid / np.maximum(valid.sum(axis=1, keepdims=True), 1)
        mu_pred = np.matmul(mean[:, None], pred_v)[:, 0]
        mu_gt = np.matmul(mean[:, None], gt_v)[:, 0]
        pred0 = pred - mu_pred[:, None]
        pred_w = np.where(weight, pred0, 0.0)
        gt_w = np.where(weight, gt_v - mu_gt[:, None], 0.0)
    # Any nan/inf left is in a valid joint, and makes its sample's sums
    # non-finite: checking the centroids finds it without another pass.
    usable = np.isfinite(mu_pred).all(axis=1) & np.isfinite(mu_gt).all(axis=1)

    # H = sum_j m_j p_j g_j^T, (N, 3, 3); R maximises tr(R H).
    cov = np.matmul(pred_w.transpose(0, 2, 1), gt_w)
    flat = pred_w.reshape(num, 3 * num_joints)
    var_pred = np.einsum('ni,ni->n', flat, flat)
    if not usable.all():
        cov[~usable] = 0.0
        var_pred[~usable] = 0.0
    degenerate = var_pred <= np.finfo(np.float64).tiny
    rotation = best_rotation(cov)
    trace = np.einsum('nij,nji->n', rotation, cov)
    scale = np.where(degenerate, 1.0,
                     trace / np.where(degenerate, 1.0, var_pred))
    rotation[degenerate] = np.eye(3)
    if not usable.all():
        for array in (mu_pred, mu_gt, scale, rotation, pred0):
            array[~usable] = np.nan
    return pred0, mu_pred, mu_gt, scale, rotation


def best_rotation(cov: np.ndarray) -> np.ndarray:
    """The proper rotations ``R`` maximising ``tr(R H)`` for each ``H``.

    That is Umeyama's ``V diag(1, 1, d) U^T`` for ``H = U S V^T``: from
    Horn's quaternion where the eigenvalue problem is well separated, from
    the SVD with the reflection fix elsewhere (module docstring).

    Args:
        cov: ``(N, 3, 3)`` finite matrices ``H = sum_j p_j g_j^T``.

    Returns:
        ``(N, 3, 3)`` rotations, ``det = +1``.
    """
    rotation, solved = _quaternion_rotation(cov)
    if not solved.all():
        rotation[~solved] = _svd_rotation(cov[~solved])
    return rotation


def _det3(a, b, c, d, e, f, g, h, i):
    """``det([[a, b, c], [d, e, f], [g, h, i]])``, element-wise."""
    return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)


def _quaternion_rotation(cov: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Horn's closed-form rotation, batched; returns ``(rotation, solved)``.

    ``max tr(R H)`` over proper rotations is the largest eigenvalue of
    Horn's symmetric 4 x 4 matrix ``K(H)`` (Horn, "Closed-form solution of
    absolute orientation using unit quaternions", JOSA A 1987), its
    eigenvector the rotation's quaternion. The eigenvalue is the largest
    root of ``det(K - l I) = l^4 - 2 |H|_F^2 l^2 - 8 det(H) l + det(K)``,
    reached by Newton's method from an upper bound (monotone: all roots are
    real), the eigenvector is a column of the adjugate of ``K - l I``
    (Theobald, "Rapid calculation of RMSDs using a quaternion-based
    characteristic polynomial", Acta Cryst. A 2005). The adjugate's trace is
    the product of the gaps between the largest eigenvalue and the others;
    where it is small the rotation is ill-determined (collinear joints, a
    mirrored pose with two equal singular values) and the sample is left
    to the SVD (``solved`` False), as is one that did not converge.
    """
    num = cov.shape[0]
    norm = np.sqrt(np.einsum('nij,nij->n', cov, cov))
    solved = norm > 0
    h = (cov / np.where(solved, norm, 1.0)[:, None, None]).transpose(1, 2, 0)
    (sxx, sxy, sxz), (syx, syy, syz), (szx, szy, szz) = np.ascontiguousarray(h)
    k00, k11 = sxx + syy + szz, sxx - syy - szz
    k22, k33 = syy - sxx - szz, szz - sxx - syy
    k01, k02, k03 = syz - szy, szx - sxz, sxy - syx
    k12, k13, k23 = sxy + syx, szx + sxz, syz + szy
    # det(K) from the 2 x 2 minors of rows (0, 1) and rows (2, 3).
    a01, a02 = k00 * k11 - k01 * k01, k00 * k12 - k02 * k01
    a03, a12 = k00 * k13 - k03 * k01, k01 * k12 - k02 * k11
    a13, a23 = k01 * k13 - k03 * k11, k02 * k13 - k03 * k12
    b01, b02 = k02 * k13 - k12 * k03, k02 * k23 - k22 * k03
    b03, b12 = k02 * k33 - k23 * k03, k12 * k23 - k22 * k13
    b13, b23 = k12 * k33 - k23 * k13, k22 * k33 - k23 * k23
    c0 = (
        a01 * b23 - a02 * b13 + a03 * b12 + a12 * b03 - a13 * b02 + a23 * b01)
    c1 = -8.0 * _det3(sxx, sxy, sxz, syx, syy, syz, szx, szy, szz)
    lam, converged = _largest_root(c1, c0)
    solved &= converged

    # Adjugate of the negative semidefinite A = K - lam I: -adj(A) = G q q^T
    # with G the product of the eigenvalue gaps.
    m00, m11, m22, m33 = k00 - lam, k11 - lam, k22 - lam, k33 - lam
    adj = np.empty((4, 4, num))
    adj[0, 0] = -_det3(m11, k12, k13, k12, m22, k23, k13, k23, m33)
    adj[1, 1] = -_det3(m00, k02, k03, k02, m22, k23, k03, k23, m33)
    adj[2, 2] = -_det3(m00, k01, k03, k01, m11, k13, k03, k13, m33)
    adj[3, 3] = -_det3(m00, k01, k02, k01, m11, k12, k02, k12, m22)
    adj[0, 1] = adj[1, 0] = _det3(k01, k12, k13, k02, m22, k23, k03, k23, m33)
    adj[0, 2] = adj[2, 0] = -_det3(k01, m11, k13, k02, k12, k23, k03, k13, m33)
    adj[0, 3] = adj[3, 0] = _det3(k01, m11, k12, k02, k12, m22, k03, k13, k23)
    adj[1, 2] = adj[2, 1] = _det3(m00, k01, k03, k02, k12, k23, k03, k13, m33)
    adj[1, 3] = adj[3, 1] = -_det3(m00, k01, k02, k02, k12, m22, k03, k13, k23)
    adj[2, 3] = adj[3, 2] = _det3(m00, k01, k02, k01, m11, k12, k03, k13, k23)
    diagonal = adj[[0, 1, 2, 3], [0, 1, 2, 3]]
    gaps = diagonal.sum(axis=0)
    solved &= gaps > _MIN_EIGEN_GAPS
    # The column with the largest diagonal entry is the best conditioned.
    best = np.argmax(diagonal, axis=0)
    w, x, y, z = np.take_along_axis(adj, best[None, None], axis=1)[:, 0]
    with np.errstate(invalid='ignore', divide='ignore'):
        inv = 1.0 / (w * w + x * x + y * y + z * z)
    rotation = np.empty((num, 3, 3))
    rotation[:, 0, 0] = (w * w + x * x - y * y - z * z) * inv
    rotation[:, 1, 1] = (w * w - x * x + y * y - z * z) * inv
    rotation[:, 2, 2] = (w * w - x * x - y * y + z * z) * inv
    rotation[:, 0, 1] = 2 * (x * y - w * z) * inv
    rotation[:, 1, 0] = 2 * (x * y + w * z) * inv
    rotation[:, 0, 2] = 2 * (x * z + w * y) * inv
    rotation[:, 2, 0] = 2 * (x * z - w * y) * inv
    rotation[:, 1, 2] = 2 * (y * z - w * x) * inv
    rotation[:, 2, 1] = 2 * (y * z + w * x) * inv
    return rotation, solved


def _largest_root(c1: np.ndarray, c0: np.ndarray) -> Tuple[np.ndarray, ...]:
    """Largest root of ``l^4 - 2 l^2 + c1 l + c0`` (``|H|_F = 1``).

    Newton from ``sqrt(3)``, an upper bound (the roots sum to 0 and their
    squares to 4). Samples leave the iteration once converged, so the few
    slow ones (nearly double roots) cost little; one more step after the
    stopping test brings the rest to machine precision (quadratic
    convergence). Returns ``(root, converged)``.
    """
    lam = np.full(c0.shape, np.sqrt(3.0))
    converged = np.zeros(c0.shape, dtype=bool)
    active = np.arange(c0.shape[0])
    a1, a0, x = c1, c0, lam
    for _ in range(_NEWTON_MAX_ITER):
        x2 = x * x
        step = ((x2 - 2.0) * x2 + a1 * x + a0) / ((4.0 * x2 - 4.0) * x + a1)
        x = x - step
        done = np.abs(step) <= _NEWTON_TOLERANCE * x
        if done.any():
            lam[active[done]] = x[done]
            converged[active[done]] = True
            keep = ~done
            active, a1, a0, x = active[keep], a1[keep], a0[keep], x[keep]
            if not active.size:
                break
    x2 = lam * lam
    with np.errstate(invalid='ignore', divide='ignore'):
        lam = lam - ((x2 - 2.0) * x2 + c1 * lam + c0) / (
            (4.0 * x2 - 4.0) * lam + c1)
    return lam, converged & np.isfinite(lam)


def _svd_rotation(cov: np.ndarray) -> np.ndarray:
    """Umeyama's rotation ``V diag(1, 1, d) U^T`` from ``H = U S V^T``."""
    u, _, vt = np.linalg.svd(cov)
    v = vt.transpose(0, 2, 1)
    d = np.sign(np.linalg.det(np.matmul(v, u.transpose(0, 2, 1))))
    d[d == 0] = 1.0
    v[:, :, 2] *= d[:, None]
    return np.matmul(v, u.transpose(0, 2, 1))
