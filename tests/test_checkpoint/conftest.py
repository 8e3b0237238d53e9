"""Checkpoints in the layouts of the public releases, built from real models.

Every file holds two ResNet-18s with different weights: the online encoder
(``online``) and, where the method has one, a momentum copy (``momentum``).
The layouts are made by the real classes where they are installed
(mmpretrain's MoCo / BYOL / ResNet, mmpose's top-down estimator) and
otherwise by small modules with the attribute names of the official code
(facebookresearch/moco, moco-v3, simsiam, swav; PeCLR; DetCon-PyTorch),
saved the way those scripts save them (DataParallel ``module.`` included).
"""
from dataclasses import dataclass, field
from typing import Dict, Optional

import pytest
import torch
import torch.nn as nn
import torchvision

import hpse_bench  # noqa: F401  (applies the compatibility patches)

torch.set_num_threads(1)


def _randomise(model: nn.Module, seed: int) -> nn.Module:
    """Random weights and BatchNorm statistics, so every tensor is telling."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if tensor.dtype == torch.long:
                tensor.fill_(seed)  # num_batches_tracked
            elif name.endswith('running_var'):
                tensor.copy_(torch.rand(tensor.shape, generator=gen) + 0.5)
            else:
                tensor.copy_(torch.randn(tensor.shape, generator=gen) * 0.1)
    return model


def resnet18(seed: int, num_classes: int = 1000) -> nn.Module:
    return _randomise(
        torchvision.models.resnet18(num_classes=num_classes), seed)


def backbone_of(model: nn.Module) -> Dict[str, torch.Tensor]:
    """Plain ResNet keys of a torchvision ResNet, fc left out."""
    return {
        k: v.clone()
        for k, v in model.state_dict().items() if not k.startswith('fc.')
    }


def mlp_fc(model: nn.Module, out_dim: int = 16) -> nn.Module:
    """MoCo v2 / SimCLR style: replace fc by Linear-ReLU-Linear."""
    dim = model.fc.in_features
    model.fc = nn.Sequential(
        nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, out_dim))
    return model


def children_sequential(model: nn.Module, drop_last: int) -> nn.Sequential:
    return nn.Sequential(*list(model.children())[:-drop_last])


@dataclass
class LayoutCase:
    """A checkpoint file and what its export must be."""
    path: str
    source: str  # what --source auto must find
    encoder: str  # prefix of the online encoder in the file
    online: Dict[str, torch.Tensor] = field(repr=False)
    momentum: Optional[Dict[str, torch.Tensor]] = field(
        default=None, repr=False)
    momentum_prefix: Optional[str] = None
    explicit_source: Optional[str] = None  # release-specific --source
    method: Optional[str] = None


MMENGINE_CFG = """default_scope = '{scope}'
model = dict(
    type='{model_type}',
    backbone=dict(type='ResNet', depth=18),
)
"""


def mmengine_checkpoint(state_dict, scope: str, model_type: str) -> dict:
    """A checkpoint as MMEngine's Runner writes it (trusted-loader only).

    The message hub holds a ``HistoryBuffer``, which
    ``torch.load(weights_only=True)`` refuses, as in real training
    checkpoints.
    """
    from mmengine.logging import MessageHub

    hub = MessageHub.get_instance(f'ckpt-{scope}-{model_type}')
    hub.update_scalar('train/loss', 0.5)
    return dict(
        meta=dict(
            cfg=MMENGINE_CFG.format(scope=scope, model_type=model_type),
            seed=0,
            epoch=1,
            iter=10,
            mmengine_version='0.10.7'),
        state_dict=state_dict,
        message_hub=hub.state_dict(),
        optimizer={})


def _mmpretrain_moco():
    import mmpretrain.models  # noqa: F401
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    # Nested types resolve in the default scope: pin mmpretrain's, whatever
    # an earlier test left current.
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return _build_moco(MODELS)


def _build_moco(MODELS):
    return MODELS.build(
        dict(
            type='MoCo',
            queue_len=32,
            feat_dim=16,
            backbone=dict(type='ResNet', depth=18),
            neck=dict(
                type='MoCoV2Neck',
                in_channels=512,
                hid_channels=32,
                out_channels=16,
                with_avg_pool=True),
            head=dict(
                type='ContrastiveHead',
                loss=dict(type='CrossEntropyLoss'),
                temperature=0.2)))


def _mmpretrain_byol():
    import mmpretrain.models  # noqa: F401
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return _build_byol(MODELS)


def _build_byol(MODELS):
    return MODELS.build(
        dict(
            type='BYOL',
            backbone=dict(type='ResNet', depth=18),
            neck=dict(
                type='NonLinearNeck',
                in_channels=512,
                hid_channels=32,
                out_channels=16,
                with_avg_pool=True),
            head=dict(
                type='LatentPredictHead',
                loss=dict(type='CosineSimilarityLoss'),
                predictor=dict(
                    type='NonLinearNeck',
                    in_channels=16,
                    hid_channels=32,
                    out_channels=16,
                    with_avg_pool=False))))


class _MoCoV2(nn.Module):
    """Attribute names of facebookresearch/moco's MoCo(mlp=True)."""

    def __init__(self, online, momentum):
        super().__init__()
        self.encoder_q = mlp_fc(online)
        self.encoder_k = mlp_fc(momentum)
        self.register_buffer('queue', torch.randn(16, 32))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))


class _MoCoV3(nn.Module):
    """Attribute names of facebookresearch/moco-v3's MoCo_ResNet."""

    def __init__(self, online, momentum):
        super().__init__()
        self.base_encoder = mlp_fc(online)
        self.momentum_encoder = mlp_fc(momentum)
        self.predictor = nn.Sequential(nn.Linear(16, 32), nn.Linear(32, 16))


class _SimSiam(nn.Module):
    """Attribute names of facebookresearch/simsiam's SimSiam."""

    def __init__(self, online):
        super().__init__()
        self.encoder = mlp_fc(online)
        self.predictor = nn.Sequential(nn.Linear(16, 8), nn.Linear(8, 16))


class _SwAV(nn.Module):
    """facebookresearch/swav's resnet50: torchvision names, no fc, heads."""

    def __init__(self, online):
        super().__init__()
        for name, child in online.named_children():
            if name != 'fc':
                self.add_module(name, child)
        self.projection_head = nn.Sequential(
            nn.Linear(512, 32), nn.BatchNorm1d(32), nn.ReLU(),
            nn.Linear(32, 16))
        self.prototypes = nn.Linear(16, 30, bias=False)


class _DetConEncoder(nn.Module):
    """DetCon-PyTorch's EncoderwithProjection (pool_size 7)."""

    def __init__(self, resnet):
        super().__init__()
        self.encoder = children_sequential(resnet, drop_last=2)
        self.projetion = nn.Sequential(nn.Linear(512, 32))  # sic, as there


class _DetConB(nn.Module):

    def __init__(self, online, momentum):
        super().__init__()
        self.online_network = _DetConEncoder(online)
        self.target_network = _DetConEncoder(momentum)
        self.predictor = nn.Sequential(nn.Linear(32, 32))


class _PeCLRResNetModel(nn.Module):
    """PeCLR's ResNetModel: children up to avgpool as ``features``."""

    def __init__(self, resnet):
        super().__init__()
        self.features = children_sequential(resnet, drop_last=1)
        self.final_layer = nn.Sequential(nn.Linear(512, 64))


class _PeCLR(nn.Module):

    def __init__(self, online):
        super().__init__()
        self.encoder = _PeCLRResNetModel(online)
        self.projection_head = nn.Sequential(
            nn.Linear(512, 32), nn.BatchNorm1d(32), nn.ReLU(),
            nn.Linear(32, 128, bias=False))


class _MMSelfSup0xMoCo(nn.Module):
    """mmselfsup 0.x MoCo: encoder_q/encoder_k Sequentials, backbone shared."""

    def __init__(self, online_backbone, momentum_backbone, neck_q, neck_k):
        super().__init__()
        self.encoder_q = nn.Sequential(online_backbone, neck_q)
        self.encoder_k = nn.Sequential(momentum_backbone, neck_k)
        self.backbone = self.encoder_q[0]
        self.neck = self.encoder_q[1]
        self.register_buffer('queue', torch.randn(16, 32))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))


def _mmpretrain_resnet18():
    from mmpretrain.models import ResNet
    return ResNet(depth=18)


def _load_online(model, online, momentum=None, momentum_module=None):
    model.load_state_dict(online, strict=True)
    if momentum_module is not None:
        momentum_module.load_state_dict(momentum, strict=True)


@pytest.fixture(scope='session')
def resnet18_weights():
    """(online, momentum): two different ResNet-18 backbones, plain keys."""
    online = backbone_of(resnet18(seed=1))
    momentum = backbone_of(resnet18(seed=2))
    return online, momentum


@pytest.fixture(scope='session')
def layout_cases(tmp_path_factory, resnet18_weights) -> Dict[str, LayoutCase]:
    root = tmp_path_factory.mktemp('layouts')
    online, momentum = resnet18_weights
    cases: Dict[str, LayoutCase] = {}

    def save(name, obj, **kwargs):
        path = str(root / f'{name}.pth')
        torch.save(obj, path)
        cases[name] = LayoutCase(path=path, online=online, **kwargs)

    def tv(seed):  # torchvision ResNet-18 carrying the online/momentum
        model = torchvision.models.resnet18(num_classes=16)
        weights = online if seed == 1 else momentum
        model.load_state_dict(weights, strict=False)
        return model

    full = tv(1).state_dict()
    save('torchvision', full, source='torchvision', encoder='')

    moco = nn.DataParallel(_MoCoV2(tv(1), tv(2)))
    save(
        'moco_v2',
        dict(
            epoch=200,
            arch='resnet18',
            state_dict=moco.state_dict(),
            optimizer={}),
        source='moco',
        encoder='module.encoder_q.',
        momentum=momentum,
        momentum_prefix='module.encoder_k.',
        method='MoCo v2')

    moco3 = nn.DataParallel(_MoCoV3(tv(1), tv(2)))
    save(
        'moco_v3',
        dict(
            epoch=100,
            arch='resnet18',
            state_dict=moco3.state_dict(),
            optimizer={}),
        source='moco',
        encoder='module.base_encoder.',
        momentum=momentum,
        momentum_prefix='module.momentum_encoder.',
        method='MoCo v3')

    simclr = mlp_fc(tv(1))
    save(
        'simclr_backbone',
        dict(
            epoch=100,
            arch='resnet18',
            state_dict={
                'backbone.' + k: v
                for k, v in simclr.state_dict().items()
            },
            optimizer={}),
        source='simclr',
        encoder='backbone.')
    save(
        'simclr_encoder', {
            **{
                'encoder.' + k: v
                for k, v in online.items()
            }, 'projector.0.weight': torch.randn(32, 512),
            'projector.2.weight': torch.randn(16, 32)
        },
        source='simclr',
        encoder='encoder.')
    save(
        'simclr_convnet',
        dict(state_dict={
            'convnet.' + k: v
            for k, v in full.items()
        }),
        source='simclr',
        encoder='convnet.')
    save(
        'simclr_vissl',
        dict(
            phase_idx=999,
            classy_state_dict=dict(
                base_model=dict(
                    model=dict(
                        trunk={
                            '_feature_blocks.' + k: v
                            for k, v in online.items()
                        },
                        heads={'0.clf.0.weight': torch.randn(16, 512)})))),
        source='torchvision',
        explicit_source='simclr',
        encoder='')

    simsiam = nn.DataParallel(_SimSiam(tv(1)))
    save(
        'simsiam',
        dict(
            epoch=100,
            arch='resnet18',
            state_dict=simsiam.state_dict(),
            optimizer={}),
        source='simsiam',
        encoder='module.encoder.')

    swav = nn.DataParallel(_SwAV(tv(1)))
    save('swav', swav.state_dict(), source='swav', encoder='module.')

    save(
        'detcon_torchvision',
        dict(state_dict=dict(online)),
        source='torchvision',
        explicit_source='detcon',
        encoder='')
    detcon = nn.DataParallel(_DetConB(tv(1), tv(2)))
    save(
        'detcon_pytorch',
        dict(
            config=dict(model=dict(backbone=dict(type='resnet18'))),
            epoch=300,
            steps=1000,
            model=detcon.state_dict(),
            optimizer={}),
        source='detcon',
        encoder='module.online_network.encoder.',
        momentum=momentum,
        momentum_prefix='module.target_network.encoder.')

    save(
        'peclr_release',
        dict(state_dict=full),
        source='torchvision',
        explicit_source='peclr',
        encoder='')
    peclr = _PeCLR(tv(1))
    save(
        'peclr_lightning',
        dict(
            epoch=99,
            global_step=1000,
            state_dict=peclr.state_dict(),
            hyper_parameters=dict(resnet_size='18', batch_size=128)),
        source='peclr',
        encoder='encoder.features.')

    mm_moco = _mmpretrain_moco()
    _load_online(mm_moco.backbone, online, momentum,
                 mm_moco.encoder_k.module[0])
    save(
        'mmpretrain_moco',
        mmengine_checkpoint(mm_moco.state_dict(), 'mmpretrain', 'MoCo'),
        source='mmpretrain',
        encoder='backbone.',
        momentum=momentum,
        momentum_prefix='encoder_k.module.0.',
        method='mmpretrain.MoCo')
    save(
        'hpse_bench_moco',
        mmengine_checkpoint(mm_moco.state_dict(), 'hpse_bench',
                            'mmpretrain.MoCo'),
        source='hpse_bench',
        encoder='backbone.',
        momentum=momentum,
        momentum_prefix='encoder_k.module.0.',
        method='mmpretrain.MoCo')

    byol = _mmpretrain_byol()
    _load_online(byol.backbone, online, momentum, byol.target_net.module[0])
    save(
        'mmselfsup_byol',
        mmengine_checkpoint(byol.state_dict(), 'mmselfsup', 'BYOL'),
        source='mmselfsup',
        encoder='backbone.',
        momentum=momentum,
        momentum_prefix='target_net.module.0.',
        method='mmselfsup.BYOL')

    from mmpretrain.models import MoCoV2Neck
    backbone_q, backbone_k = _mmpretrain_resnet18(), _mmpretrain_resnet18()
    _load_online(backbone_q, online, momentum, backbone_k)
    legacy = _MMSelfSup0xMoCo(backbone_q, backbone_k, MoCoV2Neck(512, 32, 16),
                              MoCoV2Neck(512, 32, 16))
    save(
        'mmselfsup_0x_moco',
        dict(
            meta=dict(
                mmcv_version='1.4.2',
                epoch=200,
                config="model = dict(type='MoCo', queue_len=32)"),
            state_dict=legacy.state_dict(),
            optimizer={}),
        source='mmselfsup',
        encoder='backbone.',
        momentum=momentum,
        momentum_prefix='encoder_k.0.',
        method='mmselfsup.MoCo')
    return cases


@pytest.fixture(scope='session')
def mmpose_cases(tmp_path_factory, resnet18_weights) -> Dict[str, LayoutCase]:
    """A real mmpose top-down estimator (ResNet-18 + HeatmapHead), saved
    as an MMEngine checkpoint ('meta') and as a bare state dict ('bare',
    recognised by its head keys alone)."""
    import mmpose.models  # noqa: F401
    from mmengine.registry import DefaultScope
    from mmpose.registry import MODELS
    online, _ = resnet18_weights
    with DefaultScope.overwrite_default_scope('mmpose'):
        model = _build_topdown(MODELS)
    return _mmpose_cases_from(model, online, tmp_path_factory)


def _build_topdown(MODELS):
    return MODELS.build(
        dict(
            type='TopdownPoseEstimator',
            backbone=dict(type='ResNet', depth=18),
            head=dict(
                type='HeatmapHead',
                in_channels=512,
                out_channels=17,
                deconv_out_channels=(32, 32),
                deconv_kernel_sizes=(4, 4),
                loss=dict(type='KeypointMSELoss', use_target_weight=True)),
            test_cfg=dict(flip_test=False)))


def _mmpose_cases_from(model, online, tmp_path_factory):
    model.backbone.load_state_dict(online, strict=True)
    root = tmp_path_factory.mktemp('mmpose')
    with_meta, bare = str(root / 'topdown.pth'), str(root / 'bare.pth')
    torch.save(
        mmengine_checkpoint(model.state_dict(), 'mmpose',
                            'TopdownPoseEstimator'), with_meta)
    torch.save(dict(state_dict=model.state_dict()), bare)
    return {
        name:
        LayoutCase(
            path=path,
            source='mmpose',
            encoder='backbone.',
            online=online,
            method=method)
        for name, path, method in (('meta', with_meta,
                                    'mmpose.TopdownPoseEstimator'),
                                   ('bare', bare, '2D pose (mmpose)'))
    }


@pytest.fixture(scope='session')
def exported_resnet18(tmp_path_factory, layout_cases) -> str:
    """The online backbone of the MoCo v2 file, exported."""
    from hpse_bench.checkpoint import export_backbone

    out = str(tmp_path_factory.mktemp('export') / 'backbone.pth')
    export_backbone(layout_cases['moco_v2'].path, out)
    return out
