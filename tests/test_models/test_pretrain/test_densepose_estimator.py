"""TopdownDenseEstimator with DensePoseHead: modes, gradients, and a few
iterations of the synthetic DensePose config through MMEngine's Runner."""
import math
import os.path as osp

import pytest
import torch
from dense_pretrain_samples import (DATA_PREPROCESSOR, TINY_BACKBONES,
                                    densepose_samples, tiny_run_options,
                                    train_config)

from hpse_bench.registry import MODELS
from hpse_bench.structures import DensePoseChartPrediction

SIZE = (64, 48)  # (H, W) of the tiny inputs
# ResNet's stride 32 rounds up, then the head upsamples x8.
OUT = (8 * math.ceil(SIZE[0] / 32), 8 * math.ceil(SIZE[1] / 32))


def build(backbone):
    model = MODELS.build(
        dict(
            type='TopdownDenseEstimator',
            data_preprocessor=DATA_PREPROCESSOR,
            backbone=backbone,
            head=dict(
                type='DensePoseHead',
                in_channels=512,
                deconv_out_channels=(32, 32, 32),
                loss=dict(type='DensePoseLoss'))))
    model.init_weights()
    return model


def inputs(batch, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(batch, 3, *SIZE, generator=gen) * 255


@pytest.mark.parametrize('backbone', TINY_BACKBONES,
                         ids=lambda b: b['type'])
def test_loss_is_finite_and_reaches_backbone(backbone):
    model = build(backbone)
    losses = model(inputs(2), densepose_samples(2, SIZE), mode='loss')
    assert set(losses) == {
        'loss_dp_segm', 'loss_dp_I', 'loss_dp_U', 'loss_dp_V'
    }
    for key, value in losses.items():
        assert value.dim() == 0 and torch.isfinite(value), key
        assert value.item() > 0, key
    sum(losses.values()).backward()
    params = dict(model.named_parameters())
    for name in ('backbone.conv1.weight', 'head.deconv_layers.0.weight',
                 'head.coarse_segm_layer.weight'):
        grad = params[name].grad
        assert grad is not None and grad.abs().sum() > 0, name
    # Each of the chart layer's outputs (I, U, V) gets a gradient.
    chart_grad = params['head.chart_layer.weight'].grad.view(3, 25, -1)
    for part, grad in zip('IUV', chart_grad):
        assert grad.abs().sum() > 0, part


def test_tensor_and_predict_modes():
    model = build(TINY_BACKBONES[0]).eval()
    with torch.no_grad():
        out = model(inputs(2), mode='tensor')
    assert isinstance(out, DensePoseChartPrediction)
    assert out.coarse_segm.shape == (2, 15) + OUT
    for maps in (out.fine_segm, out.u, out.v):
        assert maps.shape == (2, 25) + OUT
    with torch.no_grad():
        samples = model(inputs(2), densepose_samples(2, SIZE), mode='predict')
    assert len(samples) == 2
    for s in samples:
        pred = s.pred_densepose
        for key in ('coarse_segm', 'charts', 'u', 'v'):
            assert pred.get(key).shape == (1, ) + OUT, key
        background = pred.coarse_segm == 0
        assert torch.all(pred.charts[background] == 0)
        assert torch.all(pred.u[pred.charts == 0] == 0)
        assert s.pred_part_segm.data.shape == (1, ) + OUT
        assert 'gt_densepose' in s  # the ground truth stays
    with pytest.raises(ValueError, match='mode'):
        model(inputs(1), mode='features')


def test_batch_without_annotation_gives_zero_connected_loss():
    model = build(TINY_BACKBONES[0])
    samples = densepose_samples(2, SIZE, annotated=[False, False])
    losses = model(inputs(2), samples, mode='loss')
    for key, value in losses.items():
        assert torch.isfinite(value) and value.item() == 0.0, key
        assert value.grad_fn is not None, key
    sum(losses.values()).backward()
    grad = model.backbone.conv1.weight.grad
    assert grad is not None and torch.all(grad == 0)


def test_missing_ground_truth_is_reported():
    model = build(TINY_BACKBONES[0])
    samples = densepose_samples(2, SIZE)
    del samples[1].gt_densepose
    with pytest.raises(KeyError, match='PackDensePoseInputs'):
        model(inputs(2), samples, mode='loss')


@pytest.mark.parametrize('backbone', TINY_BACKBONES,
                         ids=lambda b: b['type'])
def test_backbone_has_torchvision_keys(backbone):
    torchvision = pytest.importorskip('torchvision')
    expected = {
        k
        for k in torchvision.models.resnet18().state_dict()
        if not k.startswith('fc.')
    }
    assert set(build(backbone).backbone.state_dict()) == expected


def test_synthetic_config_trains_with_runner(synthetic_root, tmp_path):
    runner = train_config('densepose_r18_1xb8-2e_coco_synthetic',
                          synthetic_root, str(tmp_path),
                          tiny_run_options((48, 64)))
    before = {
        k: v.detach().clone()
        for k, v in runner.model.state_dict().items()
    }
    runner.train()
    assert runner.iter == 2
    scalars = runner.message_hub.log_scalars
    for key in ('train/loss_dp_segm', 'train/loss_dp_I', 'train/loss_dp_U',
                'train/loss_dp_V'):
        value = scalars[key].current()
        assert math.isfinite(value) and value > 0, key
    after = runner.model.state_dict()
    assert not torch.equal(before['backbone.conv1.weight'],
                           after['backbone.conv1.weight'])
    assert osp.isfile(osp.join(str(tmp_path), 'epoch_1.pth'))


def test_loss_falls_when_fitting_one_batch():
    torch.manual_seed(0)
    model = build(TINY_BACKBONES[0])
    optim = torch.optim.Adam(model.parameters(), lr=1e-2)
    x, samples = inputs(2), densepose_samples(2, SIZE)
    totals = []
    for _ in range(10):
        losses = model(x, samples, mode='loss')
        loss = sum(losses.values())
        optim.zero_grad()
        loss.backward()
        optim.step()
        totals.append(loss.item())
    assert totals[-1] < 0.85 * totals[0], totals
