"""Frozen backbones: strict loading of exported files, seeded random
initialisation, the pooled C4 + C5 features."""
import numpy as np
import pytest
import torch
from mmpretrain.models.backbones import ResNet

import hpse_bench  # noqa: F401  (applies the compatibility patches)
from hpse_bench.checkpoint import (CheckpointMismatchError,
                                   CheckpointReadError, export_backbone)
from hpse_bench.probing import build_frozen_backbone, pooled_features
from hpse_bench.probing.features import standardise
from hpse_bench.utils.setup_env import register_all_modules

R18 = dict(type='mmpretrain.ResNet', depth=18, out_indices=(3, ),
           init_cfg=dict(type='Pretrained', checkpoint=None))


@pytest.fixture(autouse=True)
def _scope():
    register_all_modules(init_default_scope=True)
    torch.set_num_threads(1)


def _export(tmp_path, depth=18, seed=3, name='backbone.pth'):
    """A randomly weighted mmpretrain ResNet saved as a whole-model
    checkpoint and exported by the project's exporter."""
    torch.manual_seed(seed)
    net = ResNet(depth=depth, init_cfg=None)
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0, 0.05)
    ckpt = str(tmp_path / f'model_{name}')
    torch.save({'state_dict': {f'backbone.{k}': v
                               for k, v in net.state_dict().items()}},
               ckpt)
    out = str(tmp_path / name)
    export_backbone(ckpt, out)
    return out, net.state_dict()


def test_exported_backbone_loads_every_tensor(tmp_path):
    path, expected = _export(tmp_path)
    backbone = build_frozen_backbone(R18, path)
    loaded = backbone.state_dict()
    assert set(loaded) == set(expected)
    for key, value in expected.items():
        assert torch.equal(loaded[key], value), key
    assert not backbone.training
    assert not any(p.requires_grad for p in backbone.parameters())


def test_a_file_that_does_not_fit_is_refused(tmp_path):
    path, _ = _export(tmp_path, depth=34, name='r34.pth')
    with pytest.raises(CheckpointMismatchError) as err:
        build_frozen_backbone(R18, path)
    assert 'r34.pth' in str(err.value) and 'depth=18' in str(err.value)
    assert 'unexpected: layer1.2.' in str(err.value)

    state = torch.load(_export(tmp_path)[0], weights_only=True)
    del state['state_dict']['layer4.1.bn2.weight']
    partial = str(tmp_path / 'partial.pth')
    torch.save(state, partial)
    with pytest.raises(CheckpointMismatchError, match='layer4.1.bn2.weight'):
        build_frozen_backbone(R18, partial)


class _Payload:
    """Any pickled object: a weights-only load must refuse it."""


def test_a_file_holding_objects_is_not_unpickled(tmp_path):
    path, _ = _export(tmp_path)
    state = torch.load(path, weights_only=True)
    state['extra'] = _Payload()
    unsafe = str(tmp_path / 'unsafe.pth')
    torch.save(state, unsafe)
    with pytest.raises(CheckpointReadError, match='unsafe.pth'):
        build_frozen_backbone(R18, unsafe)
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        build_frozen_backbone(R18, str(tmp_path / 'missing.pth'))


def test_random_backbones_follow_their_seed():
    x = torch.randn(2, 3, 64, 64)
    a = pooled_features(build_frozen_backbone(R18, None, seed=1), x)
    b = pooled_features(build_frozen_backbone(R18, None, seed=1), x)
    c = pooled_features(build_frozen_backbone(R18, None, seed=2), x)
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


@pytest.mark.parametrize('base,expected', [(64, 256 * 4 + 512 * 4),
                                           (32, 128 * 4 + 256 * 4)])
def test_features_are_c4_and_c5_pooled_2x2(base, expected):
    cfg = dict(R18, base_channels=base)
    backbone = build_frozen_backbone(cfg, None)
    x = torch.randn(3, 3, 64, 64)
    feats = pooled_features(backbone, x)
    assert feats.shape == (3, expected)
    c4, c5 = backbone(x)
    # The first cell of each map is the mean of its top-left quarter.
    h4, h5 = c4.shape[-1] // 2, c5.shape[-1] // 2
    torch.testing.assert_close(feats[:, 0], c4[:, 0, :h4, :h4].mean((1, 2)))
    offset = c4.shape[1] * 4
    torch.testing.assert_close(feats[:, offset],
                               c5[:, 0, :h5, :h5].mean((1, 2)))


def test_standardise_uses_the_training_rows_only():
    train = np.array([[1.0, 5.0], [3.0, 5.0]])
    test = np.array([[2.0, 7.0]])
    out, (other, ) = standardise(train, [test])
    np.testing.assert_allclose(out, [[-1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(other, [[0.0, 2.0]])  # constant: centred only
