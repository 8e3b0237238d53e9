"""Mixing several person datasets with fixed shares (mmhuman3d's
``MixedDataset``, made deterministic)."""
import copy
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset, Compose

from hpse_bench.registry import DATASETS
from .fraction_subset import splitmix64


def _allocate(total: int, partition: np.ndarray) -> np.ndarray:
    """Split ``total`` slots by ``partition`` (largest remainder method)."""
    exact = partition / partition.sum() * total
    counts = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - counts), kind='stable')
    counts[order[:total - counts.sum()]] += 1
    return counts


def _permutation(size: int, *seeds: int) -> np.ndarray:
    """A permutation of ``range(size)`` fixed by ``seeds`` alone."""
    key = np.uint64(0)
    for s in seeds:
        key = splitmix64(np.array([key ^ np.uint64(s)], np.uint64))[0]
    return np.argsort(
        splitmix64(np.arange(size, dtype=np.uint64) ^ key), kind='stable')


@DATASETS.register_module()
class MixedHumanDataset:
    """Datasets mixed with fixed shares per epoch.

    As mmhuman3d's ``MixedDataset`` (``partition`` = share of each dataset
    among the samples of an epoch; epoch length ``num_samples``, by default
    the length of the largest dataset), but deterministic: the sample behind
    each index depends only on ``seed`` and the index. Each epoch holds
    exactly ``round(partition[k] / sum(partition) * num_samples)`` samples
    of dataset ``k`` (largest remainder rounding). Within a dataset the
    samples are drawn without replacement from a seeded stream of
    permutations, so that a dataset with a small share is walked through
    across epochs before any of its samples repeats, and a dataset with a
    large share is repeated evenly.

    Indices beyond one epoch are accepted: index ``e * len(self) + i`` is
    sample ``i`` of epoch ``e``. :class:`MixedHumanSampler` uses this to
    draw new samples every epoch; with mmengine's ``DefaultSampler`` every
    epoch shows the samples of epoch 0 (ratios still exact).

    Args:
        datasets: dataset configs (or built datasets).
        partition: share of each dataset, e.g. ``[0.6, 0.4]`` for
            Human3.6M and COCO; normalised to sum 1.
        num_samples: samples per epoch; default the largest dataset length.
        seed: mixing seed.
        fraction: if given, set as ``fraction`` of every dataset config
            (so that a config changes the data share in one place).
        fraction_seed: if given, set as ``fraction_seed`` likewise.
        pipeline: if given, applied to the datasets' outputs (their own
            pipelines then usually empty).
        max_refetch: in training, how many other indices to try when the
            pipeline returns None.
    """

    def __init__(self,
                 datasets: Sequence[Union[dict, BaseDataset]],
                 partition: Sequence[float],
                 num_samples: Optional[int] = None,
                 seed: int = 0,
                 fraction: Optional[float] = None,
                 fraction_seed: Optional[int] = None,
                 pipeline: Optional[Sequence[Union[dict, Callable]]] = None,
                 max_refetch: int = 1000) -> None:
        if len(datasets) == 0:
            raise ValueError('MixedHumanDataset needs at least one dataset')
        if len(partition) != len(datasets):
            raise ValueError(f'{len(partition)} partition shares for '
                             f'{len(datasets)} datasets')
        partition = np.asarray(partition, dtype=np.float64)
        if (partition < 0).any() or partition.sum() <= 0:
            raise ValueError('partition shares must be >= 0 with a positive '
                             f'sum; got {partition.tolist()}')
        self.datasets: List[BaseDataset] = []
        for cfg in datasets:
            if isinstance(cfg, dict):
                cfg = copy.deepcopy(cfg)
                if fraction is not None:
                    cfg['fraction'] = fraction
                if fraction_seed is not None:
                    cfg['fraction_seed'] = fraction_seed
                self.datasets.append(DATASETS.build(cfg))
            else:
                if fraction is not None or fraction_seed is not None:
                    raise ValueError('fraction/fraction_seed apply to '
                                     'dataset configs, not built datasets')
                self.datasets.append(cfg)
        self.lengths = np.array([len(d) for d in self.datasets],
                                dtype=np.int64)
        empty = [
            i for i, n in enumerate(self.lengths)
            if n == 0 and partition[i] > 0
        ]
        if empty:
            raise ValueError(f'datasets {empty} are empty but have a '
                             'positive partition share')
        self.partition = partition / partition.sum()
        self.num_samples = int(
            num_samples if num_samples is not None else self.lengths.max())
        if self.num_samples <= 0:
            raise ValueError(
                f'num_samples must be positive; got {self.num_samples}')
        self.seed = seed
        self.counts = _allocate(self.num_samples, self.partition)
        self.pipeline = Compose(pipeline) if pipeline is not None else None
        self.max_refetch = max_refetch
        self.test_mode = False
        self._epoch_cache: Dict[int, np.ndarray] = {}
        # Slot layout, the same every epoch: which dataset, and the rank of
        # the slot among that dataset's slots.
        owner = np.repeat(np.arange(len(self.datasets)), self.counts)
        owner = owner[_permutation(self.num_samples, seed, 1)]
        rank = np.zeros(self.num_samples, dtype=np.int64)
        for k in range(len(self.datasets)):
            rank[owner == k] = np.arange(self.counts[k])
        self._owner, self._rank = owner, rank

    @property
    def metainfo(self) -> dict:
        """Metainfo of the first dataset, with all dataset names."""
        meta = copy.deepcopy(getattr(self.datasets[0], 'metainfo', {}))
        meta['dataset_names'] = [
            getattr(d, 'dataset_name',
                    type(d).__name__) for d in self.datasets
        ]
        return meta

    def full_init(self) -> None:
        """Datasets are initialised when built; kept for the mmengine API."""
        for d in self.datasets:
            if hasattr(d, 'full_init'):
                d.full_init()

    def __len__(self) -> int:
        return self.num_samples

    def _epoch_table(self, epoch: int) -> np.ndarray:
        """Sample index within its dataset for every slot of ``epoch``."""
        if epoch not in self._epoch_cache:
            table = np.zeros(self.num_samples, dtype=np.int64)
            for k, (n_k, len_k) in enumerate(zip(self.counts, self.lengths)):
                if n_k == 0:
                    continue
                # Positions epoch * n_k ... in the stream of permutations.
                stream = np.arange(epoch * n_k, (epoch + 1) * n_k)
                cycle, offset = np.divmod(stream, len_k)
                picks = np.empty(n_k, dtype=np.int64)
                for c in np.unique(cycle):
                    sel = cycle == c
                    perm = _permutation(int(len_k), self.seed, 2, k, int(c))
                    picks[sel] = perm[offset[sel]]
                table[self._owner == k] = picks[self._rank[self._owner == k]]
            # Training reads one or two epochs at a time.
            if len(self._epoch_cache) > 2:
                self._epoch_cache.clear()
            self._epoch_cache[epoch] = table
        return self._epoch_cache[epoch]

    def locate(self, idx: int) -> tuple:
        """``(dataset index, sample index)`` behind mixed index ``idx``."""
        if idx < 0:
            raise IndexError(f'negative index {idx}')
        epoch, slot = divmod(int(idx), self.num_samples)
        return int(self._owner[slot]), int(self._epoch_table(epoch)[slot])

    def get_data_info(self, idx: int) -> dict:
        """The data info behind ``idx`` (without any pipeline)."""
        k, i = self.locate(idx)
        return self.datasets[k].get_data_info(i)

    def _prepare(self, idx: int):
        k, i = self.locate(idx)
        data = self.datasets[k][i]
        if self.pipeline is not None and data is not None:
            data = self.pipeline(data)
        return data

    def __getitem__(self, idx: int):
        for _ in range(self.max_refetch + 1):
            data = self._prepare(idx)
            if data is not None:
                return data
            # Deterministic retry: the next slot of the same epoch.
            idx += 1
        raise RuntimeError(f'no valid sample after {self.max_refetch} '
                           'retries; check the images and the pipeline')
