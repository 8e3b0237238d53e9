"""Camera models of SMPL-based regressors (HMR, SPIN, PARE, PyMAF).

Conventions (all functions are batch-first torch and differentiable):

- Camera frame: x right, y down, z forward (OpenCV); points in metres.
- Perspective: pixel ``u = f_x * X / Z + c_x``, ``v = f_y * Y / Z + c_y``
  after ``X = R p + t``.
- Weak perspective (Kanazawa et al., "End-to-end Recovery of Human Shape and
  Pose", CVPR 2018, Sec. 3): ``cam = (s, t_x, t_y)`` maps a point to
  normalised crop coordinates ``s * (x + t_x, y + t_y)`` in ``[-1, 1]``
  (``-1``: left/top edge of the crop, ``+1``: right/bottom edge).
- Weak to perspective (Kolotouros et al., "Learning to Reconstruct 3D Human
  Pose and Shape via Model-fitting in the Loop" (SPIN), ICCV 2019): a crop
  of ``img_size`` pixels seen by a camera of focal length ``f`` with the
  principal point at the crop centre gives the same projection for points
  near the body when ``t = (t_x, t_y, 2 f / (img_size * s))``.
"""
from typing import Optional, Union

import torch
from torch import Tensor

Number = Union[float, int, Tensor]


def _per_sample(value: Number,
                like: Tensor,
                width: int,
                one_dim_is_xy: bool = False) -> Tensor:
    """Broadcast a value to ``(B, width)``.

    A scalar is shared; a 1-D value is per sample (``(B,)``), or, with
    ``one_dim_is_xy``, one ``(width,)`` vector shared by all samples.
    """
    value = torch.as_tensor(value, dtype=like.dtype, device=like.device)
    batch = like.shape[0]
    if value.dim() == 0:
        return value.expand(batch, width)
    if value.dim() == 1:
        if one_dim_is_xy:
            return value[None, :].expand(batch, width)
        return value[:, None].expand(batch, width)
    return value.expand(batch, width)


def perspective_projection(points: Tensor,
                           focal_length: Number,
                           principal_point: Number,
                           rotation: Optional[Tensor] = None,
                           translation: Optional[Tensor] = None) -> Tensor:
    """Project 3D points to pixels with a pinhole camera.

    Args:
        points: ``(B, N, 3)`` points.
        focal_length: scalar, ``(B,)`` or ``(B, 2)`` (``f_x, f_y``) pixels.
        principal_point: scalar (same for x and y), ``(2,)`` (``c_x, c_y``
            shared by the batch) or ``(B, 2)`` pixels.
        rotation: optional ``(B, 3, 3)`` world-to-camera rotation.
        translation: optional ``(B, 3)`` translation added after rotating.

    Returns:
        ``(B, N, 2)`` pixel coordinates.
    """
    if rotation is not None:
        points = torch.einsum('bij,bnj->bni', rotation, points)
    if translation is not None:
        points = points + translation[:, None, :]
    focal = _per_sample(focal_length, points, 2)
    centre = _per_sample(principal_point, points, 2, one_dim_is_xy=True)
    xy = points[..., :2] / points[..., 2:3]
    return xy * focal[:, None, :] + centre[:, None, :]


def weak_perspective_projection(points: Tensor, cam: Tensor) -> Tensor:
    """HMR's weak-perspective projection into normalised crop coordinates.

    Args:
        points: ``(B, N, 3)`` points (only x, y are used).
        cam: ``(B, 3)`` as ``(s, t_x, t_y)``.

    Returns:
        ``(B, N, 2)`` coordinates, ``[-1, 1]`` across the crop.
    """
    return cam[:, None, :1] * (points[..., :2] + cam[:, None, 1:])


def convert_weak_perspective_to_perspective(cam: Tensor,
                                            focal_length: Number,
                                            img_size: Number,
                                            eps: float = 1e-9) -> Tensor:
    """Camera translation equivalent to a weak-perspective camera (SPIN).

    Args:
        cam: ``(B, 3)`` as ``(s, t_x, t_y)``.
        focal_length: scalar or ``(B,)`` pixels.
        img_size: crop side in pixels, scalar or ``(B,)``.

    Returns:
        ``(B, 3)`` translation ``(t_x, t_y, 2 f / (img_size * s))``.
    """
    f = _per_sample(focal_length, cam, 1)[:, 0]
    size = _per_sample(img_size, cam, 1)[:, 0]
    tz = 2 * f / (size * cam[:, 0] + eps)
    return torch.stack([cam[:, 1], cam[:, 2], tz], dim=-1)


def convert_perspective_to_weak_perspective(translation: Tensor,
                                            focal_length: Number,
                                            img_size: Number,
                                            eps: float = 1e-9) -> Tensor:
    """Inverse of ``convert_weak_perspective_to_perspective``.

    Args:
        translation: ``(B, 3)`` camera translation (``t_z > 0``).
        focal_length: scalar or ``(B,)`` pixels.
        img_size: crop side in pixels, scalar or ``(B,)``.

    Returns:
        ``(B, 3)`` as ``(s, t_x, t_y)`` with ``s = 2 f / (img_size t_z)``.
    """
    f = _per_sample(focal_length, translation, 1)[:, 0]
    size = _per_sample(img_size, translation, 1)[:, 0]
    s = 2 * f / (size * translation[:, 2] + eps)
    return torch.stack([s, translation[:, 0], translation[:, 1]], dim=-1)
