"""TopdownDenseEstimator with PartSegmentationHead: modes, gradients, and a
few iterations of the synthetic part-segmentation config through MMEngine's
Runner."""
import math
import os.path as osp

import pytest
import torch
from dense_pretrain_samples import (DATA_PREPROCESSOR, TINY_BACKBONES,
                                    densepose_samples, tiny_run_options,
                                    train_config)

from hpse_bench.registry import MODELS

SIZE = (64, 48)  # (H, W) of the tiny inputs
OUT = (8 * math.ceil(SIZE[0] / 32), 8 * math.ceil(SIZE[1] / 32))


def build(backbone, **head):
    model = MODELS.build(
        dict(
            type='TopdownDenseEstimator',
            data_preprocessor=DATA_PREPROCESSOR,
            backbone=backbone,
            head=dict(
                type='PartSegmentationHead',
                in_channels=512,
                deconv_out_channels=(32, 32, 32),
                loss=dict(type='PartSegmentationLoss'),
                **head)))
    model.init_weights()
    return model


def inputs(batch, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(batch, 3, *SIZE, generator=gen) * 255


@pytest.mark.parametrize('backbone', TINY_BACKBONES,
                         ids=lambda b: b['type'])
def test_loss_is_finite_and_reaches_backbone(backbone):
    model = build(backbone)
    losses = model(inputs(3), densepose_samples(3, SIZE), mode='loss')
    assert set(losses) == {'loss_part_segm'}
    loss = losses['loss_part_segm']
    # A freshly initialised head is near uniform over the 15 classes.
    assert torch.isfinite(loss)
    assert loss.item() == pytest.approx(math.log(15), rel=0.05)
    loss.backward()
    for name in ('backbone.conv1.weight', 'head.deconv_layers.0.weight',
                 'head.coarse_segm_layer.weight'):
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name


def test_modes_and_shapes():
    model = build(TINY_BACKBONES[0]).eval()
    with torch.no_grad():
        logits = model(inputs(2), mode='tensor')
        samples = model(inputs(2), densepose_samples(2, SIZE),
                        mode='predict')
    assert logits.shape == (2, 15) + OUT
    for s, lg in zip(samples, logits):
        assert s.pred_part_segm.data.shape == (1, ) + OUT
        torch.testing.assert_close(s.pred_part_segm.data[0],
                                   lg.argmax(0))


def test_batch_without_annotation_gives_zero_connected_loss():
    model = build(TINY_BACKBONES[0])
    samples = densepose_samples(2, SIZE, annotated=[False, False])
    loss = model(inputs(2), samples, mode='loss')['loss_part_segm']
    assert torch.isfinite(loss) and loss.item() == 0.0
    loss.backward()
    grad = model.backbone.conv1.weight.grad
    assert grad is not None and torch.all(grad == 0)


def test_head_options_are_checked():
    with pytest.raises(ValueError, match='kernel'):
        build(TINY_BACKBONES[0], deconv_kernel_sizes=(5, 4, 4))
    with pytest.raises(ValueError, match='kernels'):
        build(TINY_BACKBONES[0], deconv_kernel_sizes=(4, 4))


def test_synthetic_config_trains_with_runner(synthetic_root, tmp_path):
    runner = train_config('partseg_r18_1xb8-2e_coco_synthetic',
                          synthetic_root, str(tmp_path),
                          tiny_run_options((48, 64)))
    before = runner.model.backbone.conv1.weight.detach().clone()
    runner.train()
    assert runner.iter == 2
    value = runner.message_hub.log_scalars['train/loss_part_segm'].current()
    assert math.isfinite(value) and value > 0
    assert not torch.equal(before, runner.model.backbone.conv1.weight)
    assert osp.isfile(osp.join(str(tmp_path), 'epoch_1.pth'))
