"""The ImageNet classification pre-training config (mmpretrain's)."""
import os.path as osp

import torch
from dense_pretrain_samples import CONFIG_DIR
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from mmpretrain.structures import DataSample


def test_classification_config_builds_a_trainable_resnet50():
    cfg = Config.fromfile(
        osp.join(CONFIG_DIR, 'classification_r50_8xb32-100e_in1k.py'))
    assert cfg.default_scope == 'mmpretrain'
    assert 'hpse_bench' in cfg.custom_imports.imports
    assert cfg.train_dataloader.dataset.type == 'ImageNet'
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MMPRETRAIN_MODELS.build(cfg.model)
    assert type(model).__name__ == 'ImageClassifier'
    assert model.backbone.depth == 50
    # torchvision's key layout, so the exported backbone loads anywhere.
    keys = set(model.backbone.state_dict())
    assert {'conv1.weight', 'bn1.running_mean', 'layer4.2.conv3.weight',
            'layer1.0.downsample.0.weight'} <= keys
    torch.manual_seed(0)
    data = model.data_preprocessor(
        dict(
            inputs=[torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8)
                    for _ in range(2)],
            data_samples=[DataSample().set_gt_label(i) for i in (3, 7)]),
        training=True)
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['loss'])
    losses['loss'].backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
