"""The mmhuman3d HMR config that starts from an exported backbone."""
import os.path as osp

import torch
import torchvision
from mmengine import Config

CONFIG = osp.join(
    osp.dirname(__file__), '..', '..', 'configs', 'mmhuman3d',
    'hmr_resnet50_exported-backbone.py')


def test_config_points_at_exported_backbone_without_prefix():
    cfg = Config.fromfile(CONFIG)
    backbone = cfg.model.backbone
    assert cfg.model.type == 'ImageBodyModelEstimator'
    assert backbone.type == 'ResNet' and backbone.depth == 50
    assert backbone.init_cfg == dict(
        type='Pretrained', checkpoint='work_dirs/export/backbone.pth')
    assert 'prefix' not in backbone.init_cfg
    # an mmcv 1.x (EpochBasedRunner) config, not an MMEngine one
    assert cfg.runner.type == 'EpochBasedRunner'
    assert 'default_scope' not in cfg
    assert len(cfg.data.train.train_dataset.configs) == len(
        cfg.data.train.train_dataset.partition) == 6


def test_exported_file_has_the_mmcv1_resnet_key_layout(exported_resnet18):
    # mmcv 1.x's ResNet (mmhuman3d's backbone) names its tensors exactly as
    # torchvision's ResNet without fc: conv1, bn1, layerX.Y.convZ/bnZ,
    # layerX.Y.downsample.0/1.
    state_dict = torch.load(exported_resnet18, weights_only=True)['state_dict']
    reference = torchvision.models.resnet18()
    del reference.fc
    assert list(state_dict) == list(reference.state_dict())
    reference.load_state_dict(state_dict, strict=True)
    assert {k.split('.')[0]
            for k in state_dict
            } == {'conv1', 'bn1', 'layer1', 'layer2', 'layer3', 'layer4'}
    assert 'layer2.0.downsample.0.weight' in state_dict
    assert 'layer2.0.downsample.1.running_var' in state_dict


def test_init_cfg_of_the_config_loads_the_export(exported_resnet18):
    """The config's init_cfg, pointed at a ResNet-18 export, initialises a
    ResNet through MMEngine's init_weights (MMEngine's own initializer: no
    hpse_bench scope, as in a foreign codebase)."""
    from mmengine.registry import DefaultScope
    from mmpretrain.models import ResNet

    cfg = Config.fromfile(CONFIG)
    init_cfg = dict(cfg.model.backbone.init_cfg, checkpoint=exported_resnet18)
    with DefaultScope.overwrite_default_scope('mmengine'):
        model = ResNet(depth=18, init_cfg=init_cfg)
        model.init_weights()
    expected = torch.load(exported_resnet18, weights_only=True)['state_dict']
    for key, value in model.state_dict().items():
        assert torch.equal(value, expected[key]), key


def test_comment_says_what_mmcv_does_with_a_whole_model_file():
    # mmcv 1.x's load_checkpoint is non-strict: it logs the missing and
    # unexpected keys as a warning and the backbone stays random.
    with open(CONFIG) as f:
        header = ''.join(line for line in f if line.startswith('#'))
    assert 'says nothing' not in header
    assert 'warning' in header and 'random' in header
