"""Sampler that gives :class:`MixedHumanDataset` new draws every epoch."""
from typing import Iterator

from mmengine.dataset import DefaultSampler

from hpse_bench.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class MixedHumanSampler(DefaultSampler):
    """``DefaultSampler`` whose indices carry the epoch.

    It yields ``epoch * len(dataset) + i`` for the usual shuffled (or
    ordered), rank-sliced indices ``i``, so that
    :class:`~hpse_bench.datasets.MixedHumanDataset` draws the samples of
    that epoch (``DistSamplerSeedHook`` sets the epoch). Everything else,
    including distributed slicing and ``round_up``, is ``DefaultSampler``'s.

    Args:
        dataset: a :class:`~hpse_bench.datasets.MixedHumanDataset`.
        shuffle, seed, round_up: as ``DefaultSampler``.
    """

    def __init__(self, dataset, *args, **kwargs) -> None:
        if not hasattr(dataset, 'locate'):
            raise TypeError('MixedHumanSampler needs a MixedHumanDataset '
                            '(indices past one epoch); got '
                            f'{type(dataset).__name__}')
        super().__init__(dataset, *args, **kwargs)

    def __iter__(self) -> Iterator[int]:
        offset = self.epoch * len(self.dataset)
        return (offset + i for i in super().__iter__())
