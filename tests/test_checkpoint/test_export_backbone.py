"""Export of the online ResNet encoder from every supported layout."""
import hashlib
import pickle

import pytest
import torch
import torch.nn as nn
import torchvision

from hpse_bench.checkpoint import (BackboneExportError, CheckpointReadError,
                                   export_backbone, extract_backbone)

LAYOUTS = [
    'torchvision', 'moco_v2', 'moco_v3', 'simclr_backbone', 'simclr_encoder',
    'simclr_convnet', 'simclr_vissl', 'simsiam', 'swav', 'detcon_torchvision',
    'detcon_pytorch', 'peclr_release', 'peclr_lightning', 'mmpretrain_moco',
    'hpse_bench_moco', 'mmselfsup_byol', 'mmselfsup_0x_moco'
]


def torchvision_resnet18_without_fc() -> nn.Module:
    model = torchvision.models.resnet18()
    del model.fc  # no fc parameters: a backbone file must load strictly
    return model


def mmpretrain_resnet18() -> nn.Module:
    from mmpretrain.models import ResNet
    return ResNet(depth=18)


def assert_loads_everywhere(path: str, online: dict) -> dict:
    """weights_only load, then strict loads into torchvision's and
    mmpretrain's ResNet-18 with the online tensors."""
    saved = torch.load(path, map_location='cpu', weights_only=True)
    assert set(saved) == {'state_dict', 'meta'}
    state_dict = saved['state_dict']
    assert set(state_dict) == set(online)
    for model in (torchvision_resnet18_without_fc(), mmpretrain_resnet18()):
        model.load_state_dict(state_dict, strict=True)
        loaded = model.state_dict()
        for key, value in online.items():
            assert torch.equal(loaded[key], value), key
    return saved


@pytest.mark.parametrize('name', LAYOUTS)
def test_export_each_layout(layout_cases, tmp_path, name):
    case = layout_cases[name]
    source = case.explicit_source or 'auto'
    out = str(tmp_path / 'backbone.pth')
    result = export_backbone(case.path, out, source=source)
    saved = assert_loads_everywhere(out, case.online)

    meta = saved['meta']
    assert meta['source'] == (case.explicit_source or case.source)
    assert meta['encoder'] == case.encoder
    assert meta['encoder_role'] == 'online'
    assert meta['arch'] == 'resnet18' and meta['depth'] == 18
    if case.method:
        assert meta['method'] == case.method
    assert meta == result.meta
    # the hash of the file read, computed independently
    with open(case.path, 'rb') as f:
        assert meta['sha256'] == hashlib.sha256(f.read()).hexdigest()

    if case.momentum is not None:
        # the momentum copy is there, differs, and was not taken
        assert meta['not_taken'][case.momentum_prefix] == 'momentum encoder'
        differs = [
            k for k in case.online
            if not torch.equal(case.online[k], case.momentum[k])
        ]
        assert len(differs) > 100
        for key in differs:
            assert not torch.equal(saved['state_dict'][key],
                                   case.momentum[key])


@pytest.mark.parametrize('name', LAYOUTS)
def test_auto_detection(layout_cases, name):
    case = layout_cases[name]
    result = extract_backbone(case.path, source='auto')
    assert result.meta['source'] == case.source
    assert result.meta['encoder'] == case.encoder


@pytest.mark.parametrize('name', ['meta', 'bare'])
def test_mmpose_checkpoint(mmpose_cases, tmp_path, name):
    case = mmpose_cases[name]
    out = str(tmp_path / 'backbone.pth')
    result = export_backbone(case.path, out)
    assert result.meta['source'] == 'mmpose'
    assert result.meta['method'] == case.method
    assert 'head.' in result.dropped
    saved = assert_loads_everywhere(out, case.online)
    from mmpose.models import ResNet
    ResNet(depth=18).load_state_dict(saved['state_dict'], strict=True)


def test_mmengine_checkpoint_loads_with_the_allow_list(layout_cases):
    """MMEngine training checkpoints need the allow-list of utils/compat.py
    (HistoryBuffer, numpy): plain weights_only loading refuses them."""
    path = layout_cases['hpse_bench_moco'].path
    with pytest.raises(pickle.UnpicklingError, match='HistoryBuffer'):
        torch.load(path, map_location='cpu', weights_only=True)
    assert extract_backbone(path).meta['source'] == 'hpse_bench'


def test_copies_of_online_encoder_are_labelled(layout_cases):
    # mmselfsup 0.x keeps the backbone twice: 'backbone.' and 'encoder_q.0.'
    meta = extract_backbone(layout_cases['mmselfsup_0x_moco'].path).meta
    assert meta['not_taken'] == {
        'encoder_q.0.': 'copy of the online encoder',
        'encoder_k.0.': 'momentum encoder'
    }


def test_dropped_parts_are_reported(layout_cases):
    result = extract_backbone(layout_cases['moco_v2'].path)
    assert result.dropped['module.encoder_q.fc.'] == (
        4, 'head of the online encoder')
    assert result.dropped['module.encoder_k.'][1] == 'momentum encoder'
    assert result.dropped['module.queue'] == (1, 'not part of the backbone')
    summary = '\n'.join(result.summary())
    assert 'encoder taken: module.encoder_q. [online]' in summary
    assert 'encoder not taken: module.encoder_k. [momentum encoder]' in summary


def test_missing_batch_counters_are_filled(tmp_path, resnet18_weights):
    # TF/JAX conversions and PyTorch < 0.4.1 files have no
    # num_batches_tracked; the export adds the 0 PyTorch itself would use.
    online, _ = resnet18_weights
    older = {
        k: v
        for k, v in online.items() if not k.endswith('num_batches_tracked')
    }
    src, out = str(tmp_path / 'old.pth'), str(tmp_path / 'out.pth')
    torch.save(older, src)
    result = export_backbone(src, out, source='torchvision')
    assert len(result.meta['filled']) == len(online) - len(older) == 20
    saved = torch.load(out, weights_only=True)
    torchvision_resnet18_without_fc().load_state_dict(
        saved['state_dict'], strict=True)
    assert int(saved['state_dict']['bn1.num_batches_tracked']) == 0


def test_ema_hook_checkpoint_gives_trained_weights(tmp_path, resnet18_weights):
    # MMEngine's EMAHook saves the averaged weights as 'state_dict' and the
    # trained ones in 'ema_state_dict'; the export takes the trained ones.
    from mmengine.hooks import EMAHook
    from mmengine.model import ExponentialMovingAverage
    from mmpretrain.models import ResNet

    online, momentum = resnet18_weights
    model = nn.Module()
    model.backbone = ResNet(depth=18)
    model.backbone.load_state_dict(momentum)
    hook = EMAHook()
    hook.ema_model = ExponentialMovingAverage(model)  # the average
    model.backbone.load_state_dict(online)  # trained on from there
    checkpoint = dict(state_dict=model.state_dict())
    hook.before_save_checkpoint(None, checkpoint)
    assert torch.equal(checkpoint['state_dict']['backbone.conv1.weight'],
                       momentum['conv1.weight'])
    path, out = str(tmp_path / 'ema.pth'), str(tmp_path / 'out.pth')
    torch.save(checkpoint, path)
    result = export_backbone(path, out, source='mmpretrain')
    assert result.meta['container'].startswith('ema_state_dict')
    for key, value in online.items():
        assert torch.equal(result.state_dict[key], value), key


def test_method_override(layout_cases, tmp_path):
    out = str(tmp_path / 'b.pth')
    export_backbone(layout_cases['torchvision'].path, out, method='SimSiam')
    assert torch.load(out, weights_only=True)['meta']['method'] == 'SimSiam'


# ---------------------------------------------------------------- refusals


def test_refuses_without_backbone(tmp_path):
    path = str(tmp_path / 'heads.pth')
    torch.save(
        dict(
            state_dict={
                'neck.mlp.0.weight': torch.randn(8, 4),
                'head.fc.weight': torch.randn(2, 8),
                'head.fc.bias': torch.randn(2)
            }), path)
    with pytest.raises(BackboneExportError) as err:
        extract_backbone(path)
    message = str(err.value)
    assert path in message and 'no ResNet backbone found' in message
    assert 'neck. (1)' in message and 'head. (2)' in message


def test_refuses_wrong_source(layout_cases):
    path = layout_cases['moco_v2'].path
    with pytest.raises(BackboneExportError) as err:
        extract_backbone(path, source='mmpretrain')
    message = str(err.value)
    assert "no online ResNet encoder for source 'mmpretrain'" in message
    assert "(looked under 'backbone.')" in message
    assert 'module.encoder_q. (' in message  # what was found
    assert 'module.encoder_k. [momentum]' in message
    assert 'module.queue (1)' in message


def test_refuses_momentum_only(tmp_path, layout_cases):
    state = torch.load(
        layout_cases['mmpretrain_moco'].path, weights_only=False)['state_dict']
    only_momentum = {
        k: v
        for k, v in state.items() if not k.startswith('backbone.')
    }
    path = str(tmp_path / 'momentum_only.pth')
    torch.save(dict(state_dict=only_momentum), path)
    with pytest.raises(BackboneExportError) as err:
        extract_backbone(path, source='mmpretrain')
    assert 'only momentum/target encoders were found' in str(err.value)
    assert 'encoder_k.module.0. [momentum]' in str(err.value)


def test_refuses_incomplete_encoder(tmp_path, resnet18_weights):
    online, _ = resnet18_weights
    path = str(tmp_path / 'cut.pth')
    torch.save(
        {
            k: v
            for k, v in online.items() if not k.startswith('layer4.1.conv2')
        }, path)
    with pytest.raises(BackboneExportError) as err:
        extract_backbone(path)
    assert 'missing keys: layer4.1.conv2.weight' in str(err.value)


def test_refuses_wide_resnet(tmp_path, resnet18_weights):
    online, _ = resnet18_weights
    wide = dict(online)
    wide['conv1.weight'] = torch.randn(128, 3, 7, 7)
    path = str(tmp_path / 'wide.pth')
    torch.save(wide, path)
    with pytest.raises(BackboneExportError) as err:
        extract_backbone(path)
    assert 'conv1.weight (128, 3, 7, 7) vs (64, 3, 7, 7)' in str(err.value)


def test_refuses_unreadable_and_missing_files(tmp_path):
    bad = tmp_path / 'params.npz'
    bad.write_bytes(b'not a checkpoint at all')
    with pytest.raises(CheckpointReadError, match='params.npz'):
        extract_backbone(str(bad))
    missing = str(tmp_path / 'nowhere' / 'ckpt.pth')
    with pytest.raises(FileNotFoundError, match='nowhere/ckpt.pth'):
        extract_backbone(missing)


def test_refuses_to_overwrite_input(layout_cases):
    path = layout_cases['torchvision'].path
    with pytest.raises(BackboneExportError, match='overwrite'):
        export_backbone(path, path)
