"""Exports of ResNets narrower (or wider) than torchvision's.

The default study pre-trains mmpretrain ``ResNet(depth=18, base_channels=32,
stem_channels=32)``: its export must load strictly into that ResNet.
"""
import pytest
import torch
import torchvision

from hpse_bench.checkpoint import export_backbone
from hpse_bench.checkpoint.resnet import (RESNET_ARCHS,
                                          reference_resnet_shapes,
                                          resnet_shapes)

NARROW = dict(depth=18, base_channels=32, stem_channels=32)


def _mmpretrain_resnet(**kwargs):
    from mmpretrain.models import ResNet
    return ResNet(**kwargs)


@pytest.mark.parametrize('depth', sorted(RESNET_ARCHS))
def test_shapes_at_torchvision_widths_are_torchvision_shapes(depth):
    reference = reference_resnet_shapes(depth)
    shapes = resnet_shapes(depth)
    assert list(shapes) == list(reference)
    assert all(shapes[k] == tuple(reference[k]) for k in shapes)


@pytest.mark.parametrize('depth,stem,base', [(18, 32, 32), (50, 32, 16),
                                             (34, 48, 64)])
def test_shapes_at_other_widths_are_mmpretrain_shapes(depth, stem, base):
    model = _mmpretrain_resnet(
        depth=depth, stem_channels=stem, base_channels=base)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    shapes = resnet_shapes(depth, stem, base)
    assert list(shapes) == list(expected)
    assert dict(shapes) == expected


@pytest.fixture(scope='module')
def narrow_moco(tmp_path_factory):
    """A real mmpretrain MoCo with the narrow ResNet-18, saved as MMEngine's
    Runner saves it (message hub with a HistoryBuffer included)."""
    import mmpretrain.models  # noqa: F401
    from mmengine.logging import MessageHub
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(
            dict(
                type='MoCo',
                queue_len=32,
                feat_dim=16,
                backbone=dict(type='ResNet', **NARROW),
                neck=dict(
                    type='MoCoV2Neck',
                    in_channels=256,
                    hid_channels=32,
                    out_channels=16,
                    with_avg_pool=True),
                head=dict(
                    type='ContrastiveHead',
                    loss=dict(type='CrossEntropyLoss'),
                    temperature=0.2)))
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if tensor.is_floating_point():
                tensor.copy_(torch.rand(tensor.shape, generator=gen) + 0.5)
    hub = MessageHub.get_instance('narrow-moco')
    hub.update_scalar('train/loss', 0.5)
    path = str(tmp_path_factory.mktemp('narrow') / 'epoch_2.pth')
    torch.save(
        dict(
            meta=dict(
                cfg="default_scope = 'mmpretrain'\nmodel = dict(backbone="
                "dict(type='ResNet', depth=18, base_channels=32), "
                "type='MoCo')\n"),
            state_dict=model.state_dict(),
            message_hub=hub.state_dict()), path)
    backbone = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    momentum = model.encoder_k.module[0].state_dict()
    return path, backbone, momentum


def test_narrow_resnet_exports_and_loads_strictly(narrow_moco, tmp_path):
    path, backbone, momentum = narrow_moco
    out = str(tmp_path / 'narrow.pth')
    result = export_backbone(path, out)
    saved = torch.load(out, weights_only=True)
    meta = saved['meta']
    assert meta['depth'] == 18 and meta['arch'] == 'resnet18'
    assert meta['stem_channels'] == 32 and meta['base_channels'] == 32
    assert meta['torchvision_compatible'] is False
    assert meta['backbone'] == dict(type='ResNet', **NARROW)
    assert meta['not_taken'] == {'encoder_k.module.0.': 'momentum encoder'}
    assert 'stem_channels=32, base_channels=32' in '\n'.join(result.summary())

    model = _mmpretrain_resnet(**NARROW)
    model.load_state_dict(saved['state_dict'], strict=True)
    assert list(saved['state_dict']) == list(model.state_dict())
    for key, value in model.state_dict().items():
        assert torch.equal(value, backbone[key]), key
        if value.is_floating_point():
            assert not torch.equal(value, momentum[key]), key
    # torchvision has no narrow ResNet: the file does not pretend to fit it
    tv = torchvision.models.resnet18()
    del tv.fc
    with pytest.raises(RuntimeError, match='size mismatch'):
        tv.load_state_dict(saved['state_dict'], strict=True)


def test_narrow_export_initialises_the_matching_config(narrow_moco, tmp_path):
    from mmengine.registry import DefaultScope

    path, backbone, _ = narrow_moco
    out = str(tmp_path / 'narrow.pth')
    export_backbone(path, out)
    cfg = torch.load(out, weights_only=True)['meta']['backbone']
    kwargs = {k: v for k, v in cfg.items() if k != 'type'}
    with DefaultScope.overwrite_default_scope('hpse_bench'):
        model = _mmpretrain_resnet(
            **kwargs, init_cfg=dict(type='Pretrained', checkpoint=out))
        model.init_weights()
    for key, value in model.state_dict().items():
        assert torch.equal(value, backbone[key]), key
