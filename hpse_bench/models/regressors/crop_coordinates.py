"""Conversions between the coordinate frames of a person crop.

- crop pixels: the network input, ``(x, y)`` with ``x`` in ``[0, W]``.
- normalised crop coordinates: ``u = 2 x / W - 1``, ``v = 2 y / H - 1``
  (SPIN's convention, ``[-1, 1]`` over the crop).
- original-image pixels: related to crop pixels by the sample's
  ``warp_mat`` (original -> crop affine map).
"""
from typing import Tuple

import torch


def crop_to_normalized(points: torch.Tensor,
                       img_shape: Tuple[int, int]) -> torch.Tensor:
    """Crop pixels ``(..., 2)`` -> normalised crop coordinates."""
    h, w = img_shape
    size = points.new_tensor([w, h])
    return points * 2.0 / size - 1.0


def normalized_to_crop(points: torch.Tensor,
                       img_shape: Tuple[int, int]) -> torch.Tensor:
    """Normalised crop coordinates ``(..., 2)`` -> crop pixels."""
    h, w = img_shape
    size = points.new_tensor([w, h])
    return (points + 1.0) * size / 2.0


def crop_to_image(points: torch.Tensor,
                  warp_mat: torch.Tensor) -> torch.Tensor:
    """Map crop pixels back to original-image pixels.

    Args:
        points: ``(B, K, 2)`` crop pixels.
        warp_mat: ``(B, 2, 3)`` original -> crop affine maps
            (``x_crop = A x_img + b``).

    Returns:
        ``(B, K, 2)`` original-image pixels, ``A^-1 (x_crop - b)``.
    """
    a = warp_mat[:, :, :2]
    b = warp_mat[:, :, 2]
    return torch.linalg.solve(a[:, None], (points - b[:, None])[..., None]
                              )[..., 0]
