"""Tiny models, DensePose samples and Runner runs on the embedded data
(the ``synthetic_root`` fixture) for the tests of the 2D-annotation
pre-training (DensePose, part segmentation, 2D pose)."""
import os.path as osp
from typing import Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmpose.structures import PoseDataSample

import hpse_bench
from hpse_bench.structures import DensePoseTarget

hpse_bench.register_all_modules()
torch.set_num_threads(1)

CONFIG_DIR = osp.join(
    osp.dirname(__file__), '..', '..', '..', 'configs', 'pretrain')
# Both ResNets the configs may name; both have torchvision's key layout.
TINY_BACKBONES = [
    dict(type='mmpretrain.ResNet', depth=18),
    dict(type='mmpose.ResNet', depth=18),
]
DATA_PREPROCESSOR = dict(
    type='mmpose.PoseDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True)


def densepose_samples(batch: int,
                      size=(64, 48),
                      annotated: Optional[List[bool]] = None,
                      num_points: int = 6,
                      seed: int = 0) -> List[PoseDataSample]:
    """Data samples with random ``gt_densepose`` for ``size`` = (H, W)
    inputs; ``annotated[i]`` False gives sample ``i`` no annotation."""
    gen = torch.Generator().manual_seed(seed)
    h, w = size
    annotated = [True] * batch if annotated is None else annotated
    samples = []
    for i in range(batch):
        n = num_points if annotated[i] else 0
        sample = PoseDataSample(metainfo=dict(input_size=(w, h)))
        sample.gt_densepose = DensePoseTarget(
            points=torch.rand(n, 2, generator=gen) *
            torch.tensor([w - 1.0, h - 1.0]),
            charts=torch.randint(1, 25, (n, ), generator=gen),
            u=torch.rand(n, generator=gen),
            v=torch.rand(n, generator=gen),
            coarse_segm=(torch.randint(
                0, 15, (h, w), generator=gen, dtype=torch.uint8)
                         if annotated[i] else torch.zeros(
                             h, w, dtype=torch.uint8)),
            has_densepose=torch.tensor(bool(annotated[i])))
        samples.append(sample)
    return samples


def train_config(name: str, data_root: str, work_dir: str,
                 options: Dict) -> Runner:
    """Build a Runner from ``configs/pretrain/<name>.py`` pointed at the
    embedded data in ``data_root``, with ``options`` merged as by
    ``tools/train.py --cfg-options``."""
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name + '.py'))
    assert cfg.synthetic_data.root == 'data/synthetic'
    cfg.merge_from_dict(options)
    cfg.work_dir = work_dir
    cfg.synthetic_data = dict(root=data_root)
    coco = osp.join(data_root, 'coco') + '/'
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if loader:
            assert loader.dataset.data_root == 'data/synthetic/coco/'
            loader.dataset.data_root = coco
    for key in ('val_evaluator', 'test_evaluator'):
        evaluator = cfg.get(key)
        if evaluator and 'ann_file' in evaluator:
            evaluator.ann_file = evaluator.ann_file.replace(
                'data/synthetic/coco/', coco)
    return Runner.from_cfg(cfg)


def tiny_run_options(input_size) -> Dict:
    """cfg-options that make a synthetic DensePose or part-segmentation
    config run two iterations of batch 2 on ``input_size`` = (w, h) crops
    with a slim head."""
    return {
        'train_dataloader.batch_size': 2,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_dataloader.dataset.indices': 4,
        'train_dataloader.dataset.pipeline.5.input_size': input_size,
        'train_cfg.max_epochs': 1,
        'model.head.deconv_out_channels': (32, 32, 32),
        'default_hooks.checkpoint.interval': 1,
    }
