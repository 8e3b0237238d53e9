"""Camera projections against hand-worked examples and each other."""
import numpy as np
import torch

from hpse_bench.structures.cameras import (
    convert_perspective_to_weak_perspective,
    convert_weak_perspective_to_perspective, perspective_projection,
    weak_perspective_projection)


def test_perspective_by_hand():
    points = torch.tensor([[[0.1, -0.2, 2.0]]])
    # u = 1000 * 0.1 / 2 + 112 = 162, v = 1000 * -0.2 / 2 + 112 = 12.
    out = perspective_projection(points, 1000.0, torch.tensor([112., 112.]))
    torch.testing.assert_close(out, torch.tensor([[[162.0, 12.0]]]))
    # Rotation by 90 degrees about z: (x, y) -> (-y, x); then t = (0, 0, 1).
    rot = torch.tensor([[[0., -1., 0.], [1., 0., 0.], [0., 0., 1.]]])
    points = torch.tensor([[[0.1, -0.2, 1.0]]])
    out = perspective_projection(
        points,
        torch.tensor([[1000.0, 500.0]]),
        torch.tensor([[112.0, 100.0]]),
        rotation=rot,
        translation=torch.tensor([[0.0, 0.0, 1.0]]))
    # camera point (0.2, 0.1, 2.0): u = 1000*0.1+112, v = 500*0.05+100.
    torch.testing.assert_close(out, torch.tensor([[[212.0, 125.0]]]))


def test_per_sample_focal_length():
    points = torch.tensor([[[0.2, 0.4, 2.0]], [[0.2, 0.4, 2.0]]])
    out = perspective_projection(points, torch.tensor([100.0, 200.0]), 0.0)
    torch.testing.assert_close(out,
                               torch.tensor([[[10.0, 20.0]], [[20.0, 40.0]]]))


def test_weak_perspective_by_hand():
    cam = torch.tensor([[0.8, 0.1, -0.2]])
    points = torch.tensor([[[0.25, 0.5, 3.0]]])
    out = weak_perspective_projection(points, cam)
    torch.testing.assert_close(out, torch.tensor([[[0.28, 0.24]]]))


def test_weak_to_perspective_round_trip():
    gen = torch.Generator().manual_seed(0)
    cam = torch.rand(8, 3, generator=gen) * torch.tensor([1.0, 0.4, 0.4]) \
        + torch.tensor([0.5, -0.2, -0.2])
    focal = torch.full((8, ), 5000.0)
    transl = convert_weak_perspective_to_perspective(cam, focal, 224)
    # SPIN: t_z = 2 f / (img_size s).
    torch.testing.assert_close(transl[:, 2], 2 * 5000.0 / (224 * cam[:, 0]))
    back = convert_perspective_to_weak_perspective(transl, focal, 224)
    torch.testing.assert_close(back, cam)


def test_weak_and_perspective_agree_on_the_crop():
    """Points at depth 0 (relative to the body) project identically; deeper
    points nearly so for SPIN's long focal length."""
    cam = torch.tensor([[0.9, 0.05, 0.2]])
    img_size, focal = 224.0, 5000.0
    transl = convert_weak_perspective_to_perspective(cam, focal, img_size)
    gen = torch.Generator().manual_seed(1)
    points = torch.rand(1, 50, 3, generator=gen) - 0.5
    flat = points.clone()
    flat[..., 2] = 0
    pix = perspective_projection(flat, focal, img_size / 2, translation=transl)
    normalised = (pix - img_size / 2) / (img_size / 2)
    torch.testing.assert_close(normalised,
                               weak_perspective_projection(flat, cam))
    pix = perspective_projection(
        points, focal, img_size / 2, translation=transl)
    normalised = (pix - img_size / 2) / (img_size / 2)
    err = (normalised - weak_perspective_projection(points, cam)).abs()
    assert err.max() < 0.05
    assert np.isfinite(err.numpy()).all()
