"""Bilinear sampling of feature maps at 2D joint locations.

The one implementation of joint-feature sampling in hpse_bench (JointCon's
joint features, PyMAF's point features). Coordinates are in feature-map
pixels: ``(0, 0)`` is the centre of the top-left cell and ``(W-1, H-1)`` the
centre of the bottom-right one, which is exactly ``grid_sample``'s
``align_corners=True`` convention after ``x / (W - 1) * 2 - 1``.
"""
from typing import Optional, Sequence

import torch.nn.functional as F
from torch import Tensor


def image_to_feature_coords(points: Tensor, image_size: Sequence[int],
                            feature_size: Sequence[int]) -> Tensor:
    """Map pixel coordinates of the network input to feature-map pixels.

    A feature cell of stride ``s`` covers input pixels ``[i*s, (i+1)*s)``,
    whose centre is at input coordinate ``(i + 0.5) * s - 0.5``; inverting
    that gives ``x_f = (x + 0.5) / s - 0.5`` per axis.

    Args:
        points: ``(..., 2)`` ``(x, y)`` in input-image pixels.
        image_size: ``(H, W)`` of the network input.
        feature_size: ``(h, w)`` of the feature map.

    Returns:
        Tensor: ``(..., 2)`` in feature-map pixels.
    """
    img_h, img_w = image_size
    feat_h, feat_w = feature_size
    stride = points.new_tensor([img_w / feat_w, img_h / feat_h])
    return (points + 0.5) / stride - 0.5


def sample_joint_features(feats: Tensor,
                          joints: Tensor,
                          visible: Optional[Tensor] = None) -> Tensor:
    """Bilinearly sample ``feats`` at ``joints``.

    Choi et al., ICLR 2023, Sec. 3 (JointCon): joint features are the
    backbone's last feature map sampled at the ground-truth 2D joints.

    Args:
        feats: ``(B, C, H, W)`` feature maps.
        joints: ``(B, K, 2)`` ``(x, y)`` in feature-map pixels (see
            :func:`image_to_feature_coords`). Points outside the map are
            sampled with zero padding.
        visible: optional ``(B, K)`` mask; rows of joints that are not
            visible are set to zero (their gradient is zero too).

    Returns:
        Tensor: ``(B, K, C)`` joint features.
    """
    if feats.dim() != 4 or joints.dim() != 3 or joints.shape[-1] != 2:
        raise ValueError('expected feats (B, C, H, W) and joints (B, K, 2), '
                         f'got {tuple(feats.shape)} and '
                         f'{tuple(joints.shape)}')
    if feats.shape[0] != joints.shape[0]:
        raise ValueError(f'batch sizes differ: feats {feats.shape[0]}, '
                         f'joints {joints.shape[0]}')
    height, width = feats.shape[-2:]
    # align_corners=True maps -1 / +1 to the centres of the border cells;
    # a 1-pixel axis has a single centre, placed at 0.
    scale = joints.new_tensor([max(width - 1, 1), max(height - 1, 1)])
    grid = joints.to(feats.dtype) / scale * 2 - 1
    sampled = F.grid_sample(
        feats,
        grid.unsqueeze(2),  # (B, K, 1, 2)
        mode='bilinear',
        padding_mode='zeros',
        align_corners=True)  # (B, C, K, 1)
    sampled = sampled.squeeze(-1).transpose(1, 2)  # (B, K, C)
    if visible is not None:
        sampled = sampled * visible.to(sampled.dtype).unsqueeze(-1)
    return sampled
