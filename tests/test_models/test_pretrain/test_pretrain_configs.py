"""The synthetic pre-training configs train through a real MMEngine Runner."""
import math
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

CONFIGS = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs',
                   'pretrain')


def train(config, data_root, work_dir, epochs=2):
    cfg = Config.fromfile(osp.join(CONFIGS, config))
    cfg.work_dir = str(work_dir)
    loader = cfg.train_dataloader
    loader.batch_size = 4
    loader.num_workers = 0
    loader.persistent_workers = False
    loader.dataset.data_root = osp.join(data_root, 'coco', '')
    cfg.train_cfg.max_epochs = epochs
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=100)
    cfg.randomness = dict(seed=0)
    runner = Runner.from_cfg(cfg)
    runner.train()
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    return list(losses), runner


def test_jointcon_synthetic_trains_and_loss_falls(coco_people_root, tmp_path):
    losses, runner = train('jointcon-j_r18_1xb8-2e_coco_synthetic.py',
                           coco_people_root, tmp_path)
    assert type(runner.model).__name__ == 'JointCon'
    assert len(losses) >= 4
    assert all(math.isfinite(v) for v in losses)
    # Same joint class = positive is quickly learnt: a few Adam steps lower
    # the loss clearly.
    half = len(losses) // 2
    assert sum(losses[half:]) / (len(losses) - half) < 0.95 * sum(
        losses[:half]) / half


def test_peclr_synthetic_trains(coco_people_root, tmp_path):
    # Instance discrimination under fresh augmentations is too noisy to
    # fall within a handful of steps; the run must work and stay finite.
    losses, runner = train('peclr_r18_1xb8-2e_coco_synthetic.py',
                           coco_people_root, tmp_path, epochs=1)
    assert type(runner.model).__name__ == 'PeCLR'
    assert len(losses) >= 2 and all(math.isfinite(v) for v in losses)


def test_simclr_synthetic_trains(coco_people_root, tmp_path):
    """mmpretrain's SimCLR on our person crops (the demo study's SSL)."""
    losses, runner = train('simclr_r18_1xb8-2e_coco_synthetic.py',
                           coco_people_root, tmp_path, epochs=1)
    assert type(runner.model).__name__ == 'SimCLR'
    assert len(losses) >= 2 and all(math.isfinite(v) for v in losses)


@pytest.mark.parametrize('config, model_type, positive', [
    ('jointcon-i_r18_1xb8-2e_coco_synthetic.py', 'JointCon', 'image'),
    ('jointcon-ij_r18_1xb8-2e_coco_synthetic.py', 'JointCon', 'image_joint'),
    ('swav_r18_1xb8-mcrop-2e_coco_synthetic.py', 'SwAV', None),
    ('simsiam_r18_1xb8-2e_coco_synthetic.py', 'SimSiam', None),
    ('byol_r18_1xb8-2e_coco_synthetic.py', 'BYOL', None),
])
def test_more_synthetic_configs_train(config, model_type, positive,
                                      coco_people_root, tmp_path):
    """Each method's synthetic config trains a few iterations; the model is
    its real parent's at the synthetic size."""
    cfg = Config.fromfile(osp.join(CONFIGS, config))
    parent = Config.fromfile(osp.join(CONFIGS, cfg.filename.split(
        '/')[-1].replace('_r18_1xb8-2e_coco_synthetic', '_r50_4xb64-140e_coco')
        .replace('_r18_1xb8-mcrop-2e_coco_synthetic',
                 '_r50_4xb64-mcrop-140e_coco')))
    assert cfg.model.type == parent.model.type
    assert cfg.optim_wrapper == parent.optim_wrapper
    assert cfg.model.backbone.depth == 18
    losses, runner = train(config, coco_people_root, tmp_path, epochs=1)
    assert type(runner.model).__name__ == model_type
    if positive is not None:
        assert runner.model.positive == positive
    assert len(losses) >= 2 and all(math.isfinite(v) for v in losses)


@pytest.mark.parametrize('config', [
    'jointcon.py',
    'jointcon-i_r50_4xb64-140e_coco.py',
    'jointcon-ij_r50_4xb64-140e_coco.py',
    'detcon_r50_4xb64-140e_coco.py',
    'detcon_r18_1xb8-2e_coco_synthetic.py',
    'mocov2_r18_1xb8-2e_coco_synthetic.py',
    'swav_r50_4xb64-mcrop-140e_coco.py',
    'simsiam_r50_4xb64-140e_coco.py',
    'byol_r50_4xb64-140e_coco.py',
    'byol_r50_16xb256-coslr-200e_in1k.py',
])
def test_configs_parse(config):
    cfg = Config.fromfile(osp.join(CONFIGS, config))
    assert cfg.model.type
    assert cfg.train_dataloader.dataset.type in (
        'CocoPersonCropDataset', 'hpse_bench.CocoPersonCropDataset',
        'ImageNet')
    if config.endswith('_synthetic.py'):
        assert cfg.synthetic_data == dict(root='data/synthetic')
        assert cfg.train_dataloader.dataset.data_root == \
            'data/synthetic/coco/'
    if config == 'jointcon.py':
        assert cfg.model.positive == 'joint'
        assert cfg.train_cfg.max_epochs == 140
        assert cfg.param_scheduler[0].milestones == [90, 120]
