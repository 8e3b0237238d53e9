import math

import numpy as np
import pytest
import torch

from hpse_bench.datasets.transforms.keypoint_multi_view import \
    view_warp_matrix
from hpse_bench.models.pretrain.peclr import undo_view_transform
from hpse_bench.registry import MODELS
from pretrain_samples import (BACKBONE, random_inputs, random_samples,
                              supcon_loop)


pytestmark = pytest.mark.usefixtures('hpse_bench_scope')


def build_peclr(out_channels=32):
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='PeCLR',
            backbone=BACKBONE,
            neck=dict(
                type='mmpretrain.NonLinearNeck',
                in_channels=512,
                hid_channels=64,
                out_channels=out_channels,
                with_bias=True,
                with_last_bn=False,
                norm_cfg=dict(type='BN1d')),
            head=dict(type='SupConHead', temperature=0.5)))


def rotate_np(points, angle_deg, center):
    """cv2.getRotationMatrix2D's rotation, written out."""
    a = math.radians(angle_deg)
    m = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
    return (points - center) @ m.T + center


def test_undo_inverts_rotation_and_scaled_translation():
    rng = np.random.RandomState(0)
    points = rng.randn(3, 64, 2)
    angles = np.array([30.0, -75.0, 0.0])
    shifts = np.array([[0.1, -0.05], [0.0, 0.2], [-0.15, 0.0]])
    moved = []
    for p, a, t in zip(points, angles, shifts):
        q = rotate_np(p, a, p.mean(0))
        extent = q.max(0) - q.min(0)
        moved.append(q + t * extent)
    back = undo_view_transform(
        torch.tensor(np.stack(moved)), torch.tensor(angles),
        torch.tensor(shifts))
    assert np.allclose(back.numpy(), points, atol=1e-9)


def test_undo_follows_the_image_transform_conventions():
    w, h = 48, 64
    rng = np.random.RandomState(1)
    # Rotation: a cloud centred on the image centre, turned like the image.
    cloud = rng.randn(64, 2) * 5
    cloud += np.array([(w - 1) / 2, (h - 1) / 2]) - cloud.mean(0)
    mat = view_warp_matrix((w, h), 40.0, (0.0, 0.0), 1.0, False)
    turned = cloud @ mat[:, :2].T + mat[:, 2]
    back = undo_view_transform(
        torch.tensor(turned[None]), torch.tensor([40.0]),
        torch.zeros(1, 2, dtype=torch.float64))
    assert np.allclose(back[0].numpy(), cloud, atol=1e-4)
    # Translation: a cloud spanning the image, shifted like the image.
    cloud = rng.rand(64, 2) * [w, h]
    cloud[0], cloud[1] = (0, 0), (w, h)
    mat = view_warp_matrix((w, h), 0.0, (0.1, -0.2), 1.0, False)
    shifted = cloud @ mat[:, :2].T + mat[:, 2]
    back = undo_view_transform(
        torch.tensor(shifted[None]), torch.zeros(1, dtype=torch.float64),
        torch.tensor([[0.1, -0.2]], dtype=torch.float64))
    assert np.allclose(back[0].numpy(), cloud, atol=1e-4)


def test_undo_detaches_extent_and_centroid():
    points = torch.randn(2, 8, 2, requires_grad=True)
    out = undo_view_transform(points, torch.tensor([10.0, 20.0]),
                              torch.tensor([[0.1, 0.1], [0.2, 0.0]]))
    out[:, :, 0].sum().backward()
    # With detached statistics the map is a rotation: the gradient of the
    # summed x coordinates is (cos, -sin)... of -angle for every point.
    for i, a in enumerate([10.0, 20.0]):
        r = math.radians(-a)
        expected = torch.tensor([math.cos(r), math.sin(r)]).float()
        assert torch.allclose(points.grad[i], expected.expand(8, 2),
                              atol=1e-6)


def test_loss_equals_ntxent_loop_and_gradients():
    model = build_peclr()
    samples = random_samples(3, seed=2)
    data = model.data_preprocessor(
        dict(inputs=random_inputs(3), data_samples=samples), True)
    loss = model(**data, mode='loss')['loss']
    emb = model.equivariant_embeddings(data['inputs'], data['data_samples'])
    assert emb.shape == (6, 32)
    ref = supcon_loop(emb, torch.arange(3).repeat(2), 0.5)
    assert torch.allclose(loss, ref, atol=1e-5)
    loss.backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0

    model.eval()
    out = model(**data, mode='predict')
    assert out[0].pred_embedding.shape == (32, )


def test_equivariance_is_undone():
    """Embeddings built to follow the recorded transforms agree after the
    inverse, so their NT-Xent positive similarity is 1."""
    torch.manual_seed(0)
    base = torch.randn(4, 64, 2)
    rot = torch.tensor([[0.0, 25.0], [-30.0, 5.0], [10.0, 0.0], [0.0, 0.0]])
    shift = torch.rand(4, 2, 2) * 0.2 - 0.1
    views = []
    for v in range(2):
        q = torch.stack([
            torch.tensor(rotate_np(base[i].numpy(), rot[i, v].item(),
                                   base[i].mean(0).numpy()))
            for i in range(4)
        ]).float()
        extent = q.amax(1) - q.amin(1)
        views.append(q + (shift[:, v] * extent)[:, None])
    back = [undo_view_transform(views[v], rot[:, v], shift[:, v])
            for v in range(2)]
    cos = torch.nn.functional.cosine_similarity(
        back[0].flatten(1), back[1].flatten(1))
    assert torch.allclose(cos, torch.ones(4), atol=1e-5)


def test_errors():
    with pytest.raises(ValueError, match='odd'):
        model = build_peclr(out_channels=33)
        data = model.data_preprocessor(
            dict(inputs=random_inputs(2), data_samples=random_samples(2)),
            True)
        model(**data, mode='loss')
    model = build_peclr()
    data = model.data_preprocessor(
        dict(inputs=random_inputs(2, num_views=1),
             data_samples=random_samples(2, num_views=1)), True)
    with pytest.raises(ValueError, match='two views'):
        model(**data, mode='loss')
