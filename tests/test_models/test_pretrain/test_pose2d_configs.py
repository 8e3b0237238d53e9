"""2D-pose pre-training configs: mmpose's TopdownPoseEstimator with the
study's schedule, and a few iterations of the synthetic config (training
and CocoMetric validation through xtcocotools) with MMEngine's Runner."""
import math
import os.path as osp

import pytest
import torch
from dense_pretrain_samples import CONFIG_DIR, train_config
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpose.registry import MODELS as MMPOSE_MODELS

REAL_CONFIGS = [
    ('pose2d-simplebaseline_r50_4xb64-140e_coco-256x192', 17, (192, 256)),
    ('pose2d-simplebaseline_r50_4xb64-140e_mpii-256x256', 16, (256, 256)),
]


@pytest.mark.parametrize('name, num_keypoints, input_size', REAL_CONFIGS)
def test_real_configs_use_the_study_schedule(name, num_keypoints,
                                             input_size):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name + '.py'))
    assert cfg.default_scope == 'mmpose'
    assert 'hpse_bench' in cfg.custom_imports.imports
    assert cfg.train_cfg.max_epochs == 140
    assert cfg.optim_wrapper.optimizer.type == 'Adam'
    assert cfg.optim_wrapper.optimizer.lr == 1e-3
    step = [s for s in cfg.param_scheduler if s.type == 'MultiStepLR']
    assert len(step) == 1 and step[0].milestones == [90, 120]
    assert step[0].gamma == 0.1
    assert cfg.train_dataloader.batch_size == 64
    assert cfg.model.head.decoder.input_size == input_size
    # No download at run time: the backbone starts from random weights.
    assert [c.type for c in cfg.model.backbone.init_cfg] == [
        'Kaiming', 'Constant'
    ]
    with DefaultScope.overwrite_default_scope('mmpose'):
        model = MMPOSE_MODELS.build(cfg.model)
    assert type(model).__name__ == 'TopdownPoseEstimator'
    assert type(model.head).__name__ == 'HeatmapHead'
    assert model.head.out_channels == num_keypoints
    assert model.backbone.depth == 50


@pytest.mark.parametrize('name', [
    REAL_CONFIGS[0][0], REAL_CONFIGS[1][0], 'densepose_r50_4xb64-140e_coco',
    'partseg_r50_4xb64-140e_coco'
])
def test_inheriting_config_can_start_from_a_checkpoint(name, tmp_path):
    # What configs/pretrain/README.md tells users to write.
    child = tmp_path / 'child.py'
    child.write_text(
        f"_base_ = ['{osp.abspath(osp.join(CONFIG_DIR, name + '.py'))}']\n"
        "model = dict(backbone=dict(init_cfg=dict(\n"
        "    _delete_=True, type='Pretrained', checkpoint='r50.pth')))\n")
    cfg = Config.fromfile(str(child))
    assert cfg.model.backbone.init_cfg == dict(
        type='Pretrained', checkpoint='r50.pth')


def test_synthetic_config_trains_and_validates(synthetic_root,
                                               tmp_path):
    options = {
        'train_dataloader.batch_size': 2,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_dataloader.dataset.indices': 4,
        'val_dataloader.batch_size': 4,
        'val_dataloader.num_workers': 0,
        'val_dataloader.persistent_workers': False,
        'val_dataloader.dataset.indices': 8,
        'train_cfg.max_epochs': 1,
        'model.head.deconv_out_channels': (32, 32, 32),
    }
    runner = train_config(
        'pose2d-simplebaseline_r18_1xb8-2e_coco-128x96_synthetic',
        synthetic_root, str(tmp_path), options)
    assert runner.cfg.model.head.decoder.heatmap_size == (24, 32)
    before = runner.model.backbone.conv1.weight.detach().clone()
    runner.train()
    assert runner.iter == 2
    loss = runner.message_hub.log_scalars['train/loss_kpt'].current()
    assert math.isfinite(loss) and loss > 0
    assert not torch.equal(before, runner.model.backbone.conv1.weight)
    # CocoMetric ran on the synthetic val JSON (xtcocotools' COCOeval).
    ap = runner.message_hub.get_scalar('val/coco/AP').current()
    assert 0.0 <= ap <= 1.0
    assert osp.isfile(osp.join(str(tmp_path), 'epoch_1.pth'))
