"""hpse_bench models build their parts in hpse_bench's scope whatever the
caller's default scope (a config of mmpose or mmpretrain that only adds
``custom_imports=dict(imports=['hpse_bench'])``), and prefixed foreign parts
in their own library's scope."""
import math
import os.path as osp
from collections import OrderedDict

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

import hpse_bench  # noqa: F401  (applies the compatibility patches first)

BACKBONE = dict(
    type='mmpretrain.ResNet', depth=18, norm_cfg=dict(type='BN'))
# Nested types unprefixed, as a user writes them.
JOINTCON = dict(
    type='hpse_bench.JointCon',
    positive='joint',
    backbone=BACKBONE,
    neck=dict(
        type='ProjectionMLP',
        in_channels=512,
        hid_channels=64,
        out_channels=32),
    head=dict(
        type='SupConHead',
        loss=dict(type='SupervisedContrastiveLoss'),
        temperature=0.1))
HMR = dict(
    type='hpse_bench.HMR',
    backbone=dict(BACKBONE, out_indices=(3, )),
    head=dict(type='HMRHead', in_channels=512, hidden=64),
    loss_keypoints2d=dict(
        type='Keypoint2DLoss', criterion='mse', loss_weight=300.0),
    loss_betas_prior=dict(type='BetasPriorLoss', loss_weight=0.06))


@pytest.fixture(autouse=True)
def _restore_default_scope():
    """A Runner leaves its config's scope current; later tests must not
    inherit mmpose's or mmpretrain's."""
    saved = OrderedDict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict = saved


@pytest.mark.parametrize('scope', ['mmpose', 'mmpretrain', 'mmengine'])
def test_jointcon_builds_its_parts_in_hpse_bench_scope(scope):
    from mmengine.registry import MODELS
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(JOINTCON)
    assert type(model).__name__ == 'JointCon'
    assert type(model.neck).__name__ == 'ProjectionMLP'
    assert type(model.head.loss_module).__name__ == \
        'SupervisedContrastiveLoss'
    assert type(model.backbone).__module__.startswith('mmpretrain')


@pytest.mark.parametrize('scope', ['mmpose', 'mmpretrain'])
def test_hmr_builds_head_losses_and_body_model_in_any_scope(scope):
    from mmengine.registry import MODELS
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(HMR)
    assert type(model.head).__name__ == 'HMRHead'
    assert type(model.body_model).__name__ == 'SMPL'
    assert type(model.loss_keypoints2d).__name__ == 'Keypoint2DLoss'
    assert type(model.loss_betas_prior).__name__ == 'BetasPriorLoss'


def test_prefixed_foreign_part_builds_its_own_parts_in_its_scope():
    """mmpose's HeatmapHead names its loss unprefixed; inside an hpse_bench
    model it must still be found in mmpose's registry."""
    from hpse_bench.registry import MODELS
    cfg = dict(
        type='hpse_bench.TopdownDenseEstimator',
        backbone=BACKBONE,
        head=dict(
            type='mmpose.HeatmapHead',
            in_channels=512,
            out_channels=17,
            deconv_out_channels=(16, ),
            deconv_kernel_sizes=(4, ),
            loss=dict(type='KeypointMSELoss')))
    for scope in ('hpse_bench', 'mmpretrain'):
        with DefaultScope.overwrite_default_scope(scope):
            model = MODELS.build(cfg)
        assert type(model.head.loss_module).__name__ == 'KeypointMSELoss'


def _run(cfg: Config, work_dir: str) -> Runner:
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=0)
    runner = Runner.from_cfg(cfg)
    before = [p.detach().clone() for p in runner.model.parameters()]
    runner.train()
    assert runner.iter == 2
    after = list(runner.model.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, after))
    return runner


def test_jointcon_trains_from_an_mmpose_config(synthetic_root, tmp_path):
    coco = osp.join(synthetic_root, 'coco', '')
    config = tmp_path / 'jointcon_mmpose.py'
    config.write_text(f"""
_base_ = ['mmpose::_base_/default_runtime.py']
custom_imports = dict(imports=['hpse_bench'], allow_failed_imports=False)
model = {JOINTCON!r}
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='hpse_bench.CocoPersonCropDataset', data_root={coco!r},
        ann_file='annotations/person_keypoints_train.json',
        data_prefix=dict(img='images/train/'), min_keypoints=1, indices=4,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='hpse_bench.PersonCrop', input_size=(48, 64)),
            dict(type='hpse_bench.KeypointMultiView', num_views=2,
                 view_pipeline=[]),
            dict(type='hpse_bench.PackMultiViewInputs'),
        ]))
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
val_cfg = None
test_cfg = None
train_cfg = dict(by_epoch=True, max_epochs=1)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=10))
""")
    cfg = Config.fromfile(str(config))
    assert cfg.default_scope == 'mmpose'
    runner = _run(cfg, str(tmp_path / 'work'))
    assert type(runner.model).__name__ == 'JointCon'
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert math.isfinite(loss)


def test_hmr_trains_from_an_mmpretrain_config(synthetic_root, tmp_path):
    root = osp.join(synthetic_root, '')
    config = tmp_path / 'hmr_mmpretrain.py'
    config.write_text(f"""
_base_ = ['mmpretrain::_base_/default_runtime.py']
custom_imports = dict(imports=['hpse_bench'], allow_failed_imports=False)
model = {HMR!r}
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='hpse_bench.HumanImageDataset', dataset_name='h36m',
        data_root={root!r}, ann_file='h36m/h36m_train.npz',
        data_prefix=dict(img='h36m/'), indices=4,
        pipeline=[
            dict(type='hpse_bench.LoadHumanImage'),
            dict(type='hpse_bench.TopdownHumanAffine', input_size=(64, 64)),
            dict(type='hpse_bench.PackHumanInputs'),
        ]))
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4))
val_cfg = None
test_cfg = None
train_cfg = dict(by_epoch=True, max_epochs=1)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=10))
""")
    cfg = Config.fromfile(str(config))
    assert cfg.default_scope == 'mmpretrain'
    runner = _run(cfg, str(tmp_path / 'work'))
    assert type(runner.model).__name__ == 'HMR'
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert math.isfinite(loss)


@pytest.mark.parametrize('scope', ['mmpose', 'mmpretrain'])
def test_backbone_init_uses_hpse_bench_pretrained_in_any_scope(
        scope, tmp_path):
    """A checkpoint that matches no backbone tensor is an error for
    hpse_bench's ``Pretrained`` (MMEngine's only warns), also when the
    runner's scope is another library's."""
    from mmengine.registry import MODELS
    good = MODELS.build(dict(type='mmpretrain.ResNet', depth=18,
                             norm_cfg=dict(type='BN'), out_indices=(3, )))
    exported = tmp_path / 'backbone.pth'
    torch.save({'state_dict': good.state_dict()}, str(exported))
    wrong = tmp_path / 'wrong.pth'
    torch.save({'state_dict': {'net.conv.weight': torch.zeros(1)}},
               str(wrong))

    def build(checkpoint):
        cfg = dict(HMR)
        cfg['backbone'] = dict(
            HMR['backbone'],
            init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint)))
        with DefaultScope.overwrite_default_scope(scope):
            model = MODELS.build(cfg)
            model.init_weights()
        return model

    model = build(exported)
    for key, value in good.state_dict().items():
        assert torch.equal(model.backbone.state_dict()[key], value), key
    with pytest.raises(Exception, match='wrong.pth'):
        build(wrong)
