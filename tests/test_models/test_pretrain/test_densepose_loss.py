"""DensePoseLoss and PartSegmentationLoss against per-point / per-pixel
reference loops."""
import math

import pytest
import torch

from hpse_bench.models.losses import DensePoseLoss, PartSegmentationLoss
from hpse_bench.structures import (DensePoseChartPrediction,
                                   DensePoseTarget)

IN_H, IN_W = 64, 48  # network input
OUT_H, OUT_W = 16, 12  # head output (stride 4)


def bilinear(values, x, y):
    """Value of ``values[c, row, col]`` at (x, y) in cell-centre pixels,
    clamped to the map, by hand."""
    h, w = values.shape[-2:]
    x = min(max(x, 0.0), w - 1.0)
    y = min(max(y, 0.0), h - 1.0)
    x0, y0 = int(math.floor(x)), int(math.floor(y))
    x1, y1 = min(x0 + 1, w - 1), min(y0 + 1, h - 1)
    ax, ay = x - x0, y - y0
    return ((1 - ax) * (1 - ay) * values[..., y0, x0] +
            ax * (1 - ay) * values[..., y0, x1] +
            (1 - ax) * ay * values[..., y1, x0] +
            ax * ay * values[..., y1, x1])


def cross_entropy(logits, label):
    logits = [float(v) for v in logits]
    top = max(logits)
    return top + math.log(sum(math.exp(v - top) for v in logits)) - \
        logits[label]


def smooth_l1(d):
    d = abs(d)
    return 0.5 * d * d if d < 1 else d - 0.5


def reference_segm(logits, targets, weight=1.0):
    """Mean cross-entropy over the output pixels of annotated crops; the
    label of output cell (i, j) is the input label at the cell centre
    (nearest input pixel to ((j + 0.5) * s - 0.5), rounding halves up)."""
    total, count = 0.0, 0
    sx, sy = IN_W / logits.shape[-1], IN_H / logits.shape[-2]
    for b, t in enumerate(targets):
        if not bool(t.has_densepose):
            continue
        for i in range(logits.shape[-2]):
            for j in range(logits.shape[-1]):
                row = min(int(math.floor((i + 0.5) * sy)), IN_H - 1)
                col = min(int(math.floor((j + 0.5) * sx)), IN_W - 1)
                label = int(t.coarse_segm[row, col])
                total += cross_entropy(logits[b, :, i, j], label)
                count += 1
    return total / max(count, 1) * weight


def reference_densepose(pred, targets, segm_weight, index_weight, uv_weight,
                        uv_reduction):
    """detectron2's chart-based losses, one point at a time."""
    losses = dict(
        loss_dp_segm=reference_segm(pred.coarse_segm, targets, segm_weight))
    ce_sum, u_sum, v_sum, num = 0.0, 0.0, 0.0, 0
    for b, t in enumerate(targets):
        if not bool(t.has_densepose):
            continue
        for k in range(t.num_points):
            # Input pixel -> output cell-centre coordinates (stride 4).
            x = (float(t.points[k, 0]) + 0.5) * OUT_W / IN_W - 0.5
            y = (float(t.points[k, 1]) + 0.5) * OUT_H / IN_H - 0.5
            chart = int(t.charts[k])
            fine = bilinear(pred.fine_segm[b], x, y)
            ce_sum += cross_entropy(fine, chart)
            u = float(bilinear(pred.u[b, chart], x, y))
            v = float(bilinear(pred.v[b, chart], x, y))
            u_sum += smooth_l1(u - float(t.u[k]))
            v_sum += smooth_l1(v - float(t.v[k]))
            num += 1
    losses['loss_dp_I'] = ce_sum / max(num, 1) * index_weight
    norm = max(num, 1) if uv_reduction == 'mean' else 1
    losses['loss_dp_U'] = u_sum / norm * uv_weight
    losses['loss_dp_V'] = v_sum / norm * uv_weight
    return losses


def make_target(gen, num_points, annotated=True):
    if not annotated:
        return DensePoseTarget(
            points=torch.zeros(0, 2),
            charts=torch.zeros(0, dtype=torch.long),
            u=torch.zeros(0),
            v=torch.zeros(0),
            coarse_segm=torch.zeros(IN_H, IN_W, dtype=torch.uint8),
            has_densepose=torch.tensor(False))
    # Points anywhere in the input, borders included.
    points = torch.rand(num_points, 2, generator=gen) * torch.tensor(
        [IN_W - 1.0, IN_H - 1.0])
    if num_points >= 2:
        points[0] = torch.tensor([0.0, 0.0])
        points[1] = torch.tensor([IN_W - 1.0, IN_H - 1.0])
    return DensePoseTarget(
        points=points,
        charts=torch.randint(1, 25, (num_points, ), generator=gen),
        u=torch.rand(num_points, generator=gen),
        v=torch.rand(num_points, generator=gen),
        coarse_segm=torch.randint(
            0, 15, (IN_H, IN_W), generator=gen, dtype=torch.uint8),
        has_densepose=torch.tensor(True))


def make_prediction(gen, batch):
    def maps(c, scale=1.0):
        return (torch.randn(batch, c, OUT_H, OUT_W, generator=gen) *
                scale).double().requires_grad_()

    return DensePoseChartPrediction(
        coarse_segm=maps(15, 2.0),
        fine_segm=maps(25, 2.0),
        # Wide enough that some U/V errors exceed smooth-L1's beta of 1.
        u=maps(25, 1.5),
        v=maps(25, 1.5))


@pytest.mark.parametrize('uv_reduction', ['sum', 'mean'])
def test_densepose_loss_matches_per_point_reference(uv_reduction):
    gen = torch.Generator().manual_seed(0)
    targets = [
        make_target(gen, 7),
        make_target(gen, 0, annotated=False),
        make_target(gen, 3)
    ]
    pred = make_prediction(gen, len(targets))
    loss = DensePoseLoss(
        loss_segm=dict(type='PartSegmentationLoss', loss_weight=5.0),
        index_weight=0.7,
        uv_weight=0.01,
        uv_reduction=uv_reduction)
    out = loss(pred, DensePoseTarget.pack(targets))
    with torch.no_grad():
        expected = reference_densepose(pred, targets, 5.0, 0.7, 0.01,
                                       uv_reduction)
    assert set(out) == set(expected)
    for key, value in expected.items():
        assert out[key].item() == pytest.approx(value, rel=1e-9), key
    # Every term has a gradient path to its maps.
    sum(out.values()).backward()
    for name in ('coarse_segm', 'fine_segm', 'u', 'v'):
        grad = getattr(pred, name).grad
        assert grad is not None and grad.abs().sum() > 0, name


def test_densepose_loss_without_annotation_is_zero_and_connected():
    gen = torch.Generator().manual_seed(1)
    targets = [make_target(gen, 0, annotated=False) for _ in range(2)]
    pred = make_prediction(gen, 2)
    out = DensePoseLoss()(pred, DensePoseTarget.pack(targets))
    assert set(out) == {'loss_dp_segm', 'loss_dp_I', 'loss_dp_U', 'loss_dp_V'}
    for key, value in out.items():
        assert torch.isfinite(value) and value.item() == 0.0, key
        assert value.requires_grad and value.grad_fn is not None, key
    sum(out.values()).backward()
    for name in ('coarse_segm', 'fine_segm', 'u', 'v'):
        grad = getattr(pred, name).grad
        assert grad is not None and torch.all(grad == 0), name


def test_annotated_crop_without_points_keeps_point_terms_zero():
    gen = torch.Generator().manual_seed(2)
    targets = [make_target(gen, 4), make_target(gen, 4)]
    for t in targets:  # masks only
        t.points, t.charts = t.points[:0], t.charts[:0]
        t.u, t.v = t.u[:0], t.v[:0]
    pred = make_prediction(gen, 2)
    out = DensePoseLoss()(pred, DensePoseTarget.pack(targets))
    with torch.no_grad():
        expected = reference_segm(pred.coarse_segm, targets, 5.0)
    assert out['loss_dp_segm'].item() == pytest.approx(expected, rel=1e-9)
    for key in ('loss_dp_I', 'loss_dp_U', 'loss_dp_V'):
        assert out[key].item() == 0.0 and out[key].grad_fn is not None


def test_part_segmentation_loss_matches_per_pixel_reference():
    gen = torch.Generator().manual_seed(3)
    targets = [make_target(gen, 1), make_target(gen, 0, annotated=False),
               make_target(gen, 1)]
    logits = torch.randn(3, 15, OUT_H, OUT_W, generator=gen,
                         dtype=torch.float64, requires_grad=True)
    packed = DensePoseTarget.pack(targets)
    loss = PartSegmentationLoss(loss_weight=2.0)(logits, packed.coarse_segm,
                                                 packed.has_densepose)
    with torch.no_grad():
        expected = reference_segm(logits, targets, 2.0)
    assert loss.item() == pytest.approx(expected, rel=1e-9)
    loss.backward()
    # The crop without annotation gets no gradient.
    assert logits.grad[1].abs().sum() == 0
    assert logits.grad[0].abs().sum() > 0


def test_pack_pads_and_masks():
    gen = torch.Generator().manual_seed(4)
    targets = [make_target(gen, 2), make_target(gen, 0, annotated=False),
               make_target(gen, 5)]
    packed = DensePoseTarget.pack(targets)
    assert packed.points.shape == (3, 5, 2)
    assert packed.point_mask.sum(1).tolist() == [2, 0, 5]
    assert packed.has_densepose.tolist() == [True, False, True]
    assert packed.coarse_segm.dtype == torch.long
    assert packed.num_points == 7
    torch.testing.assert_close(packed.points[2], targets[2].points)
    # A batch without points still has one (masked) slot to sample.
    empty = DensePoseTarget.pack([make_target(gen, 0, annotated=False)])
    assert empty.points.shape == (1, 1, 2) and not empty.point_mask.any()


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match='uv_reduction'):
        DensePoseLoss(uv_reduction='median')
    gen = torch.Generator().manual_seed(5)
    small = make_target(gen, 1)
    small.coarse_segm = small.coarse_segm[:10]
    with pytest.raises(ValueError, match='coarse_segm size'):
        DensePoseTarget.pack([make_target(gen, 1), small])
