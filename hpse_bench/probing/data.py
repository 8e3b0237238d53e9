"""The data sets of a fine-tune config, as probes and baselines read them.

- The *test sets*: the leaves of ``cfg.test_dataloader.dataset`` (the parts
  of a ``ConcatDataset``), each with its own test pipeline.
- The *3D training sets*: the leaves of ``cfg.train_dataloader.dataset``
  (e.g. the Human3.6M part of the mixed Human3.6M + COCO set, with the
  config's ``fraction``) that carry 3D keypoints, read through the config's
  TEST pipeline: no augmentation, the crop the test sets get.
"""
import copy
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader, Dataset

from hpse_bench.registry import DATASETS


def _leaf_cfgs(dataset_cfg: dict) -> Iterator[dict]:
    if 'datasets' in dataset_cfg:
        for sub in dataset_cfg['datasets']:
            yield from _leaf_cfgs(sub)
    elif 'dataset' in dataset_cfg:
        yield from _leaf_cfgs(dataset_cfg['dataset'])
    else:
        yield dataset_cfg


def test_pipeline_of(cfg: Config) -> List[dict]:
    """The pipeline of the config's first test set (or ``test_pipeline``)."""
    for leaf in _leaf_cfgs(cfg.test_dataloader.dataset):
        if leaf.get('pipeline'):
            return copy.deepcopy(list(leaf['pipeline']))
    if cfg.get('test_pipeline'):
        return copy.deepcopy(list(cfg.test_pipeline))
    raise KeyError('the config has no test pipeline: neither its '
                   'test_dataloader.dataset (or its parts) nor a top-level '
                   'test_pipeline defines one')


def _with_leaf_pipeline(dataset_cfg: dict, pipeline: List[dict]) -> dict:
    """A copy whose leaves use ``pipeline`` and whose wrappers use none."""
    cfg = copy.deepcopy(dict(dataset_cfg))
    if 'datasets' in cfg:
        cfg['datasets'] = [
            _with_leaf_pipeline(d, pipeline) for d in cfg['datasets']
        ]
        if 'pipeline' in cfg:
            cfg['pipeline'] = None
    elif 'dataset' in cfg:
        cfg['dataset'] = _with_leaf_pipeline(cfg['dataset'], pipeline)
    else:
        cfg['pipeline'] = copy.deepcopy(pipeline)
        cfg['test_mode'] = True
    return cfg


def _built_leaves(dataset) -> Iterator:
    subs = getattr(dataset, 'datasets', None)
    if subs is not None:
        for sub in subs:
            yield from _built_leaves(sub)
    elif hasattr(dataset, 'dataset'):
        yield from _built_leaves(dataset.dataset)
    else:
        yield dataset


def dataset_name(leaf) -> str:
    """The ``dataset_name`` a built data set gives its samples."""
    return str(getattr(leaf, 'dataset_name', None)
               or leaf.metainfo.get('dataset_name', type(leaf).__name__))


def test_sets(cfg: Config) -> List:
    """The built test sets, in config order."""
    return list(_built_leaves(DATASETS.build(cfg.test_dataloader.dataset)))


def training_sets(cfg: Config, pipeline: List[dict]) -> List:
    """The built training sets with ``pipeline`` on every leaf."""
    built = DATASETS.build(
        _with_leaf_pipeline(cfg.train_dataloader.dataset, pipeline))
    return list(_built_leaves(built))


def labelled_rows(dataset, flag: str) -> np.ndarray:
    """Indices of ``dataset`` whose data info has ``flag`` > 0."""
    return np.array([
        i for i in range(len(dataset))
        if float(dataset.get_data_info(i).get(flag, 0.0)) > 0
    ], dtype=np.int64)


def evenly_spaced(num: int, cap: Optional[int]) -> np.ndarray:
    """``min(num, cap)`` indices spread evenly over ``range(num)``."""
    if cap is None or cap >= num:
        return np.arange(num, dtype=np.int64)
    if cap <= 0:
        raise ValueError(f'a sample cap must be positive, got {cap}')
    return np.unique(np.linspace(0, num - 1, cap).round().astype(np.int64))


@dataclass
class Selection:
    """Rows of several data sets read as one."""
    datasets: Sequence
    rows: Sequence[np.ndarray]

    @property
    def names(self) -> List[str]:
        return [dataset_name(d) for d in self.datasets]

    def __len__(self) -> int:
        return int(sum(len(r) for r in self.rows))


class _SelectionDataset(Dataset):

    def __init__(self, selection: Selection) -> None:
        self.items = [(d, int(i))
                      for d, rows in zip(selection.datasets, selection.rows)
                      for i in rows]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int):
        dataset, row = self.items[index]
        return dataset[row]


def batches(selection: Selection,
            batch_size: int = 32,
            num_workers: int = 0) -> DataLoader:
    """Packed samples of ``selection`` in order, ``pseudo_collate``-d as
    MMEngine's dataloaders give them to a model."""
    return DataLoader(
        _SelectionDataset(selection),
        batch_size=batch_size,
        shuffle=False,
        num_workers=num_workers,
        collate_fn=pseudo_collate)


def sample_labels(data_samples: Sequence) -> Dict[str, np.ndarray]:
    """The labels probes need from a batch of packed samples."""

    def stack(name):
        return np.stack([
            np.asarray(
                s.get(name).cpu() if torch.is_tensor(s.get(name)) else s.get(
                    name), dtype=np.float64) for s in data_samples
        ])

    return dict(
        keypoints3d=stack('gt_keypoints3d'),
        keypoints2d_img=stack('gt_keypoints2d_img'),
        warp_mat=np.stack([
            np.asarray(s.metainfo['warp_mat'], np.float64)
            for s in data_samples
        ]),
        # img_shape is (H, W); crop sizes are (W, H).
        crop_size=np.stack([
            np.asarray(s.metainfo['img_shape'][::-1], np.float64)
            for s in data_samples
        ]),
        has_keypoints3d=stack('has_keypoints3d'))
