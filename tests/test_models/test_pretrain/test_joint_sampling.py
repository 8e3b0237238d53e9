import math

import pytest
import torch

from hpse_bench.models.utils import (image_to_feature_coords,
                                     sample_joint_features)


def bilinear_by_hand(feat, x, y):
    """Bilinear interpolation of a (C, H, W) map at (x, y), zero outside."""
    c, h, w = feat.shape
    x0, y0 = math.floor(x), math.floor(y)
    out = torch.zeros(c)
    for xi in (x0, x0 + 1):
        for yi in (y0, y0 + 1):
            wx = 1 - abs(x - xi)
            wy = 1 - abs(y - yi)
            if 0 <= xi < w and 0 <= yi < h and wx > 0 and wy > 0:
                out += wx * wy * feat[:, yi, xi]
    return out


def test_matches_hand_bilinear_interpolation():
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(2, 5, 4, 6, generator=g)
    joints = torch.tensor([[[0.0, 0.0], [5.0, 3.0], [2.25, 1.5], [4.9, 0.1]],
                           [[1.0, 2.0], [-0.5, 1.0], [5.5, 3.0],
                            [3.3, 2.7]]])
    out = sample_joint_features(feats, joints)
    assert out.shape == (2, 4, 5)
    for b in range(2):
        for k in range(4):
            x, y = joints[b, k].tolist()
            ref = bilinear_by_hand(feats[b], x, y)
            assert torch.allclose(out[b, k], ref, atol=1e-5), (b, k)
    # Integer coordinates read the cells themselves.
    assert torch.allclose(out[0, 1], feats[0, :, 3, 5])


def test_visibility_zeroes_rows_and_their_gradient():
    feats = torch.randn(1, 3, 4, 4, requires_grad=True)
    joints = torch.tensor([[[1.0, 1.0], [2.0, 2.0]]])
    out = sample_joint_features(feats, joints, torch.tensor([[1, 0]]))
    assert torch.all(out[0, 1] == 0)
    out.sum().backward()
    assert feats.grad[0, :, 2, 2].abs().sum() == 0
    assert feats.grad[0, :, 1, 1].abs().sum() > 0


def test_image_to_feature_coords_maps_cell_centres():
    # Cell i of a stride-32 map covers input pixels [32 i, 32 i + 32); its
    # centre is at 32 i + 15.5.
    pts = torch.tensor([[15.5, 15.5], [47.5, 79.5], [-0.5, -0.5]])
    out = image_to_feature_coords(pts, (256, 192), (8, 6))
    assert torch.allclose(out,
                          torch.tensor([[0.0, 0.0], [1.0, 2.0],
                                        [-0.5, -0.5]]))


def test_shape_errors():
    with pytest.raises(ValueError, match='expected feats'):
        sample_joint_features(torch.zeros(1, 2, 3), torch.zeros(1, 1, 2))
    with pytest.raises(ValueError, match='batch sizes differ'):
        sample_joint_features(torch.zeros(2, 1, 3, 3), torch.zeros(1, 1, 2))
