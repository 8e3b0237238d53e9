"""ResNet key namings, depth detection and the reference check."""
import pytest
import torch
import torch.nn as nn
import torchvision

from hpse_bench.checkpoint import (check_against_reference,
                                   detect_resnet_depth, find_resnet_encoders,
                                   reference_resnet_shapes)
from hpse_bench.checkpoint.io import find_common_prefix, top_level_prefix


def meta_model(factory, **kwargs):
    with torch.device('meta'):
        return factory(**kwargs)


@pytest.mark.parametrize('depth', [18, 34, 50, 101, 152])
def test_depth_from_torchvision_and_mmpretrain_keys(depth):
    from mmpretrain.models import ResNet

    tv_keys = [
        k for k in meta_model(getattr(torchvision.models,
                                      f'resnet{depth}')).state_dict()
        if not k.startswith('fc.')
    ]
    # (mmpretrain's ResNet cannot be built on the meta device)
    mm_keys = list(ResNet(depth=depth).state_dict())
    # the same names in both libraries: what makes one export fit both
    assert tv_keys == mm_keys == list(reference_resnet_shapes(depth))
    assert detect_resnet_depth(tv_keys) == depth


def test_depth_refuses_non_standard_layout():
    keys = [
        k for k in meta_model(torchvision.models.resnet18).state_dict()
        if not k.startswith('layer3.1.')
    ]
    with pytest.raises(ValueError, match=r'\(2, 2, 1, 2\) with basic'):
        detect_resnet_depth(keys)


def test_three_namings_give_the_same_plain_keys():
    model = torchvision.models.resnet18()
    plain = {
        k: v
        for k, v in model.state_dict().items() if not k.startswith('fc.')
    }
    children = nn.Sequential(*list(model.children())[:-1])
    stages = nn.Module()
    stages.C1 = nn.Sequential(*list(model.children())[:4])
    for i in range(2, 6):
        setattr(stages, f'C{i}', getattr(model, f'layer{i - 1}'))
    state = {}
    state.update({'a.' + k: v for k, v in model.state_dict().items()})
    state.update({
        'b.features.' + k: v
        for k, v in children.state_dict().items()
    })
    state.update({'c.' + k: v for k, v in stages.state_dict().items()})
    state['head.fc.weight'] = torch.zeros(2, 2)

    found = find_resnet_encoders(state)
    assert {
        p: e.naming
        for p, e in found.items()
    } == {
        'a.': 'torchvision',
        'b.features.': 'sequential',
        'c.': 'stages'
    }
    for encoder in found.values():
        backbone = {k: encoder.state_dict[k] for k in encoder.backbone_keys}
        assert list(backbone) == list(plain)
        assert all(torch.equal(backbone[k], plain[k]) for k in plain)
        assert not check_against_reference(backbone, 18).missing
    assert 'fc.weight' in found['a.'].state_dict  # kept apart as a head


def test_prefix_helpers():
    assert top_level_prefix('module.encoder_q.conv1.weight') == \
        'module.encoder_q.'
    assert top_level_prefix('module.queue') == 'module.queue'
    assert top_level_prefix('queue_ptr') == 'queue_ptr'
    assert find_common_prefix(['backbone.conv1.weight', 'neck.fc.weight'],
                              ['conv1.weight', 'bn1.weight']) == 'backbone.'
    assert find_common_prefix(['x.y'], ['conv1.weight']) is None
