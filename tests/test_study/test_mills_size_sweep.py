"""The backbone-size sweep of the second study, stage to stage: a 2D-pose
checkpoint of every ResNet depth (mmpose's TopdownPoseEstimator built from
the study's MPII config, saved as an MMEngine checkpoint file) is exported
with tools/export_backbone.py and initialises the integral regressor of the
same depth with every backbone tensor matched."""
import importlib.util
import logging
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import save_checkpoint
from mmpose.registry import MODELS as MMPOSE_MODELS

from hpse_bench.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEPTHS = (18, 34, 50, 101, 152)


class _Messages(logging.Handler):

    def __init__(self):
        super().__init__(level=logging.INFO)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _export_cli():
    spec = importlib.util.spec_from_file_location(
        'export_backbone_cli', osp.join(REPO, 'tools', 'export_backbone.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('depth', DEPTHS)
def test_2d_checkpoint_initialises_integral_regressor(depth, tmp_path):
    torch.manual_seed(depth)
    cfg2d = Config.fromfile(
        osp.join(
            REPO, 'configs', 'pretrain',
            f'pose2d-simplebaseline_r{depth}_4xb64-140e_'
            'mpii-256x256.py'))
    with DefaultScope.overwrite_default_scope('mmpose'):
        pose = MMPOSE_MODELS.build(cfg2d.model)
    assert type(pose).__name__ == 'TopdownPoseEstimator'
    # Weights unlike any fresh initialisation, BatchNorm statistics included.
    with torch.no_grad():
        for value in pose.state_dict().values():
            if value.is_floating_point():
                value.copy_(torch.rand_like(value) + 0.5)
    trained = {k: v.clone() for k, v in pose.backbone.state_dict().items()}
    ckpt = str(tmp_path / f'pose2d_r{depth}_epoch_140.pth')
    save_checkpoint(
        dict(meta=dict(epoch=140,
                       mmpose_version='1.3.2',
                       cfg=cfg2d.pretty_text),
             state_dict=pose.state_dict()), ckpt)
    del pose

    exported = str(tmp_path / 'backbone.pth')
    assert _export_cli().main([ckpt, exported, '--source', 'auto']) == 0
    os.remove(ckpt)
    meta = torch.load(exported, weights_only=True)['meta']
    assert meta['source'] == 'mmpose' and meta['depth'] == depth

    cfg3d = Config.fromfile(
        osp.join(REPO, 'configs', 'finetune',
                 f'integral_r{depth}_1xb64-120e_h36m.py'))
    cfg3d.model.backbone.init_cfg.checkpoint = exported
    logger = MMLogger.get_current_instance()
    handler = _Messages()
    logger.addHandler(handler)
    try:
        with DefaultScope.overwrite_default_scope('hpse_bench'):
            model = MODELS.build(cfg3d.model)
            model.init_weights()
    finally:
        logger.removeHandler(handler)
    state = model.backbone.state_dict()
    n = len(state)
    assert n == len(trained)
    assert (f'loaded {n}/{n} tensors from {exported} into ResNet'
            in handler.messages)
    for key, value in trained.items():
        assert torch.equal(state[key], value), key
    # Only the backbone comes from the 2D stage; the 3D head starts fresh.
    assert model.head.final.weight.shape[0] == 17 * 64
