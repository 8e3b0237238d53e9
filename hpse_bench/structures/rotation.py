"""Rotation representations in torch: axis-angle, matrices, quaternions, 6D.

The one implementation of these conversions in hpse_bench; every model,
loss and fitting routine imports it from here.

Conventions:

- axis-angle: ``(..., 3)`` rotation vectors, angle = norm, right-handed.
- matrices: ``(..., 3, 3)``, acting on column vectors (``x' = R @ x``).
- quaternions: ``(..., 4)`` as ``(w, x, y, z)``, real part first.
- 6D: the continuous representation of Zhou et al., "On the Continuity of
  Rotation Representations in Neural Networks", CVPR 2019 (Sec. 4), laid out
  as in HMR/SPIN/PARE/PyMAF and their ``smpl_mean_params.npz``: the first two
  *columns* of the matrix, stored row-major, i.e. ``R[..., :, :2]`` flattened
  to ``(R00, R01, R10, R11, R20, R21)``.
"""
import torch
import torch.nn.functional as F

__all__ = [
    'axis_angle_to_matrix', 'matrix_to_axis_angle', 'matrix_to_quaternion',
    'quaternion_to_matrix', 'quaternion_to_axis_angle',
    'axis_angle_to_quaternion', 'rot6d_to_matrix', 'matrix_to_rot6d',
    'axis_angle_to_rot6d', 'rot6d_to_axis_angle'
]

# Below this squared angle the Taylor expansions replace sin(t)/t and
# (1 - cos(t))/t^2, whose direct forms lose all precision (and give 0/0).
_SMALL_ANGLE_SQ = 1e-8


def axis_angle_to_matrix(axis_angle: torch.Tensor) -> torch.Tensor:
    """Rodrigues' formula ``R = I + sinc(t) K + (1 - cos t) / t^2 K^2``.

    ``K`` is the cross-product matrix of the rotation vector (not of the unit
    axis), so the formula stays finite, with finite gradients, at ``t = 0``.

    Args:
        axis_angle: ``(..., 3)`` rotation vectors.

    Returns:
        ``(..., 3, 3)`` rotation matrices.
    """
    if axis_angle.shape[-1] != 3:
        raise ValueError('axis_angle_to_matrix expects (..., 3), got '
                         f'{tuple(axis_angle.shape)}')
    theta_sq = (axis_angle * axis_angle).sum(-1, keepdim=True)
    small = theta_sq < _SMALL_ANGLE_SQ
    # Clamp so that the branch not taken by torch.where stays finite too
    # (its gradient is multiplied by zero, but NaN * 0 is still NaN).
    theta = torch.sqrt(theta_sq.clamp(min=_SMALL_ANGLE_SQ))
    sinc = torch.where(small, 1.0 - theta_sq / 6.0, torch.sin(theta) / theta)
    cosc = torch.where(small, 0.5 - theta_sq / 24.0,
                       (1.0 - torch.cos(theta)) / theta.square())
    x, y, z = axis_angle.unbind(-1)
    zero = torch.zeros_like(x)
    k = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero],
                    dim=-1).reshape(axis_angle.shape[:-1] + (3, 3))
    eye = torch.eye(3, dtype=axis_angle.dtype, device=axis_angle.device)
    return eye + sinc[..., None] * k + cosc[..., None] * (k @ k)


def matrix_to_quaternion(matrix: torch.Tensor) -> torch.Tensor:
    """Rotation matrix to unit quaternion ``(w, x, y, z)`` with ``w >= 0``.

    Shepperd's method: each of the four components can be recovered from a
    diagonal combination; the largest one divides the others, which keeps
    the result accurate near 180-degree rotations where ``w`` vanishes.

    Args:
        matrix: ``(..., 3, 3)`` rotation matrices.

    Returns:
        ``(..., 4)`` quaternions.
    """
    if matrix.shape[-2:] != (3, 3):
        raise ValueError('matrix_to_quaternion expects (..., 3, 3), got '
                         f'{tuple(matrix.shape)}')
    m = matrix
    r00, r01, r02 = m[..., 0, 0], m[..., 0, 1], m[..., 0, 2]
    r10, r11, r12 = m[..., 1, 0], m[..., 1, 1], m[..., 1, 2]
    r20, r21, r22 = m[..., 2, 0], m[..., 2, 1], m[..., 2, 2]
    # 4 * (w^2, x^2, y^2, z^2)
    four_sq = torch.stack([
        1.0 + r00 + r11 + r22,
        1.0 + r00 - r11 - r22,
        1.0 - r00 + r11 - r22,
        1.0 - r00 - r11 + r22,
    ], dim=-1)
    # 4 * q_i * q for each choice of the dividing component i.
    cands = torch.stack([
        torch.stack([four_sq[..., 0], r21 - r12, r02 - r20, r10 - r01], -1),
        torch.stack([r21 - r12, four_sq[..., 1], r01 + r10, r02 + r20], -1),
        torch.stack([r02 - r20, r01 + r10, four_sq[..., 2], r12 + r21], -1),
        torch.stack([r10 - r01, r02 + r20, r12 + r21, four_sq[..., 3]], -1),
    ], dim=-2)
    # 4 * q_i = 2 * sqrt(four_sq_i); clamp keeps unused rows finite.
    denom = 2.0 * torch.sqrt(four_sq.clamp(min=1e-12))
    cands = cands / denom[..., None]
    best = four_sq.argmax(dim=-1)
    index = best[..., None, None].expand(best.shape + (1, 4))
    quat = torch.gather(cands, -2, index).squeeze(-2)
    quat = torch.where(quat[..., :1] < 0, -quat, quat)
    return F.normalize(quat, dim=-1)


def quaternion_to_matrix(quaternion: torch.Tensor) -> torch.Tensor:
    """Unit quaternion ``(w, x, y, z)`` to rotation matrix (normalises first).

    Args:
        quaternion: ``(..., 4)``.

    Returns:
        ``(..., 3, 3)`` rotation matrices.
    """
    w, x, y, z = F.normalize(quaternion, dim=-1).unbind(-1)
    out = torch.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)
    ], dim=-1)
    return out.reshape(quaternion.shape[:-1] + (3, 3))


def quaternion_to_axis_angle(quaternion: torch.Tensor) -> torch.Tensor:
    """Quaternion ``(w, x, y, z)`` to rotation vector with angle in [0, pi].

    Args:
        quaternion: ``(..., 4)``; need not be canonical (``w < 0`` allowed).

    Returns:
        ``(..., 3)`` rotation vectors.
    """
    q = F.normalize(quaternion, dim=-1)
    q = torch.where(q[..., :1] < 0, -q, q)
    w, v = q[..., :1], q[..., 1:]
    sin_half_sq = (v * v).sum(-1, keepdim=True)
    small = sin_half_sq < _SMALL_ANGLE_SQ
    sin_half = torch.sqrt(sin_half_sq.clamp(min=_SMALL_ANGLE_SQ))
    half = torch.atan2(sin_half, w)
    # angle / sin(angle / 2); its limit at 0 is 2 / w (w -> 1).
    scale = torch.where(small, 2.0 / w.clamp(min=1e-6), 2.0 * half / sin_half)
    return v * scale


def axis_angle_to_quaternion(axis_angle: torch.Tensor) -> torch.Tensor:
    """Rotation vector to quaternion ``(w, x, y, z)``.

    Args:
        axis_angle: ``(..., 3)``.

    Returns:
        ``(..., 4)`` unit quaternions.
    """
    theta_sq = (axis_angle * axis_angle).sum(-1, keepdim=True)
    small = theta_sq < _SMALL_ANGLE_SQ
    theta = torch.sqrt(theta_sq.clamp(min=_SMALL_ANGLE_SQ))
    # sin(t/2)/t, with its Taylor expansion near zero.
    scale = torch.where(small, 0.5 - theta_sq / 48.0,
                        torch.sin(theta / 2) / theta)
    w = torch.where(small, 1.0 - theta_sq / 8.0, torch.cos(theta / 2))
    return torch.cat([w, axis_angle * scale], dim=-1)


def matrix_to_axis_angle(matrix: torch.Tensor) -> torch.Tensor:
    """Rotation matrix to rotation vector (through the quaternion).

    Args:
        matrix: ``(..., 3, 3)`` rotation matrices.

    Returns:
        ``(..., 3)`` rotation vectors with angle in [0, pi].
    """
    return quaternion_to_axis_angle(matrix_to_quaternion(matrix))


def rot6d_to_matrix(rot6d: torch.Tensor) -> torch.Tensor:
    """6D representation to rotation matrix by Gram-Schmidt.

    Zhou et al., CVPR 2019, Eq. 16: the two stored columns ``a1, a2`` give
    ``b1 = a1 / |a1|``, ``b2`` = normalised component of ``a2`` orthogonal
    to ``b1``, ``b3 = b1 x b2``; ``R = [b1 b2 b3]`` (columns).

    Args:
        rot6d: ``(..., 6)`` in the layout of the module docstring.

    Returns:
        ``(..., 3, 3)`` rotation matrices.
    """
    if rot6d.shape[-1] != 6:
        raise ValueError(
            f'rot6d_to_matrix expects (..., 6), got {tuple(rot6d.shape)}')
    cols = rot6d.reshape(rot6d.shape[:-1] + (3, 2))
    a1, a2 = cols[..., 0], cols[..., 1]
    b1 = F.normalize(a1, dim=-1)
    b2 = F.normalize(a2 - (b1 * a2).sum(-1, keepdim=True) * b1, dim=-1)
    b3 = torch.cross(b1, b2, dim=-1)
    return torch.stack([b1, b2, b3], dim=-1)


def matrix_to_rot6d(matrix: torch.Tensor) -> torch.Tensor:
    """Rotation matrix to the 6D representation (its first two columns).

    Args:
        matrix: ``(..., 3, 3)``.

    Returns:
        ``(..., 6)``.
    """
    return matrix[..., :, :2].reshape(matrix.shape[:-2] + (6, ))


def axis_angle_to_rot6d(axis_angle: torch.Tensor) -> torch.Tensor:
    """Rotation vector ``(..., 3)`` to 6D ``(..., 6)``."""
    return matrix_to_rot6d(axis_angle_to_matrix(axis_angle))


def rot6d_to_axis_angle(rot6d: torch.Tensor) -> torch.Tensor:
    """6D ``(..., 6)`` to rotation vector ``(..., 3)``."""
    return matrix_to_axis_angle(rot6d_to_matrix(rot6d))
