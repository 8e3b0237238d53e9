"""The base model configs build, and a real MMEngine Runner trains them."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.runner import Runner
from regressor_samples import make_samples
from torch.utils.data import DataLoader, Dataset

from hpse_bench.registry import MODELS

CONFIG_DIR = osp.join(
    osp.dirname(__file__), '..', '..', '..', 'configs', '_base_', 'models')
CONFIGS = {
    'hmr_r50.py': 'HMR',
    'pare_r50.py': 'PARE',
    'pymaf_r50.py': 'PyMAF',
    'integral_r50.py': 'IntegralPoseRegressor',
}


def _small(model_cfg):
    """The config's model at ResNet-18 width, as for CPU smoke runs."""
    model_cfg = model_cfg.copy()
    model_cfg.backbone.depth = 18
    model_cfg.head.in_channels = 512
    return model_cfg


@pytest.mark.parametrize('name', list(CONFIGS))
def test_base_config_builds_resnet50(name):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    assert cfg.pretrained_backbone is None
    assert cfg.model.backbone.init_cfg is None
    assert cfg.model.type == CONFIGS[name]
    if CONFIGS[name] != 'IntegralPoseRegressor':
        assert cfg.smpl_root == 'embedded'
        assert cfg.model.smpl_root == cfg.smpl_root
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == CONFIGS[name]
    assert model.backbone.layer4[-1].conv3.out_channels == 2048


def test_pretrained_backbone_variable_sets_init_cfg(tmp_path):
    child = tmp_path / 'child.py'
    # The way an inheriting config sets its backbone file (hmr_r50.py).
    child.write_text(
        f"_base_ = ['{osp.abspath(osp.join(CONFIG_DIR, 'hmr_r50.py'))}']\n"
        "pretrained_backbone = 'backbone.pth'\n"
        'model = dict(backbone=dict(init_cfg=dict(_delete_=True, '
        'type=\'Pretrained\', checkpoint=pretrained_backbone)))\n')
    cfg = Config.fromfile(str(child))
    assert cfg.model.backbone.init_cfg == dict(
        type='Pretrained', checkpoint='backbone.pth')


class _FixedSamples(Dataset):

    def __init__(self, inputs, samples):
        self.inputs, self.samples = inputs, samples

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        return dict(inputs=self.inputs[i], data_samples=self.samples[i])


@pytest.mark.parametrize('name', ['hmr_r50.py', 'integral_r50.py'])
def test_runner_trains_from_config(name, smpl, tmp_path):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    inputs, samples = make_samples(smpl, 4, img_size=64)
    loader = DataLoader(
        _FixedSamples(inputs, samples),
        batch_size=2,
        shuffle=False,
        collate_fn=pseudo_collate)
    torch.manual_seed(0)
    runner = Runner(
        model=_small(cfg.model),
        work_dir=str(tmp_path),
        train_dataloader=loader,
        train_cfg=dict(by_epoch=False, max_iters=3),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-4)),
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=1),
            checkpoint=dict(type='CheckpointHook', interval=3,
                            by_epoch=False)),
        default_scope='hpse_bench',
        env_cfg=dict(dist_cfg=dict(backend='gloo')),
        experiment_name=f'test_{name[:-3]}')
    before = runner.model.backbone.conv1.weight.detach().clone()
    runner.train()
    after = runner.model.backbone.conv1.weight.detach()
    assert not torch.equal(before, after)
    assert osp.isfile(osp.join(str(tmp_path), 'iter_3.pth'))
    scalars = runner.message_hub.log_scalars
    assert torch.isfinite(torch.tensor(scalars['train/loss'].current()))
