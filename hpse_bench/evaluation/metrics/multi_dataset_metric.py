import logging
from typing import Dict, List, Optional, Sequence, Union

from mmengine.dist import all_gather_object, get_world_size
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from hpse_bench.registry import METRICS
from ._data_sample import describe, sample_as_dict
from ._evaluate import broadcast_outcome


@METRICS.register_module()
class MultiDatasetMetric(BaseMetric):
    """Score several test sets in one pass, each with its own metrics.

    With a ``ConcatDataset`` of, e.g., 3DPW, Human3.6M and MuPoTS-3D as the
    val/test set, one validation run yields every number of the study's
    tables, and the learning curves of all three come out of one log. Each
    sample is routed by its metainfo ``dataset_name`` to the metrics listed
    for that name.

    Distributed evaluation: MMEngine's sampler pads the last batch by
    repeating samples, and ranks see interleaved subsets. Results are
    therefore gathered with their ``(dataset_name, sample_idx)`` key,
    de-duplicated and put back in dataset order before each metric computes.

    Nothing collapses silently: a sample without ``sample_idx`` metainfo or
    with an unrouted ``dataset_name`` raises; so do two different samples
    (by ``img_path``) under one key -- two sub-datasets that share a
    ``dataset_name`` -- and a count of distinct samples that differs from
    the dataset size that ``evaluate`` receives, and an evaluation without
    samples. A route without samples is reported in a logged warning. Errors
    raised on rank 0 are raised on every rank.

    Args:
        routes: ``{dataset_name: metric config or list of configs}``, e.g.
            ``dict(pw3d=dict(type='HumanMeshMetric', prefix='3dpw'))``. (Not
            ``metrics``: MMEngine's Runner would take a dict with that key
            for an ``Evaluator`` config.)
        key: metainfo field that names a sample's dataset.
    """

    def __init__(self,
                 routes: Dict[str, Union[dict, List[dict]]],
                 key: str = 'dataset_name',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.key = key
        self.routes: Dict[str, List[BaseMetric]] = {}
        for name, cfgs in routes.items():
            cfgs = cfgs if isinstance(cfgs, (list, tuple)) else [cfgs]
            self.routes[name] = [
                c if isinstance(c, BaseMetric) else METRICS.build(c)
                for c in cfgs
            ]
        # Per metric: [(sample key, result), ...] of this rank.
        self._keyed: Dict[int, list] = {
            id(m): []
            for ms in self.routes.values()
            for m in ms
        }

    @property
    def dataset_meta(self) -> Optional[dict]:
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, meta: dict) -> None:
        self._dataset_meta = meta
        for ms in self.routes.values():
            for m in ms:
                m.dataset_meta = meta

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Route each sample to its dataset's metrics, keeping its key."""
        grouped: Dict[str, list] = {}
        for sample in data_samples:
            d = sample_as_dict(sample)
            name = d.get(self.key)
            if name not in self.routes:
                raise KeyError(
                    f'MultiDatasetMetric: sample {d.get("img_path")!r} has '
                    f'{self.key}={name!r}, but metrics are configured only '
                    f'for {sorted(self.routes)}')
            if 'sample_idx' not in d:
                raise KeyError(
                    f'MultiDatasetMetric: a sample of {name!r} '
                    f'({describe(d)}) has no "sample_idx" metainfo, which '
                    'counts each sample once across ranks and padding '
                    "(MMEngine's BaseDataset and HumanImageDataset set it)")
            grouped.setdefault(name, []).append(d)
        for name, samples in grouped.items():
            keys = [((name, int(s['sample_idx'])), s.get('img_path'))
                    for s in samples]
            for metric in self.routes[name]:
                before = len(metric.results)
                metric.process(data_batch, samples)
                new = metric.results[before:]
                if len(new) != len(samples):
                    raise RuntimeError(
                        f'{type(metric).__name__} stored {len(new)} results '
                        f'for {len(samples)} samples; MultiDatasetMetric '
                        'needs one result per sample')
                self._keyed[id(metric)].extend(zip(keys, new))
                del metric.results[before:]

    def compute_metrics(self, results: list) -> dict:  # pragma: no cover
        raise NotImplementedError('evaluate() computes each routed metric')

    def evaluate(self, size: int) -> dict:
        """Gather every rank's results, then compute each routed metric.

        Args:
            size: the number of samples of the (concatenated) dataset; the
                distinct samples received must number exactly this.
        """
        gathered: Dict[int, list] = {}
        for ms in self.routes.values():
            for metric in ms:
                local = self._keyed[id(metric)]
                if get_world_size() > 1:
                    parts = all_gather_object(local)
                    local = [item for part in parts for item in part]
                gathered[id(metric)] = local
                self._keyed[id(metric)] = []
        return broadcast_outcome(lambda: self._compute(gathered, size))

    def _compute(self, gathered: Dict[int, list], size: int) -> dict:
        """The metrics of every route from the gathered results (rank 0)."""
        metrics: dict = {}
        counts: Dict[str, int] = {}
        for name, ms in self.routes.items():
            for metric in ms:
                ordered = _unique_in_order(gathered[id(metric)], name)
                counts[name] = len(ordered)
                if not ordered:
                    continue
                out = metric.compute_metrics(ordered)
                if metric.prefix:
                    out = {f'{metric.prefix}/{k}': v for k, v in out.items()}
                metrics.update(out)
        total = sum(counts.values())
        if total == 0:
            raise ValueError(
                'MultiDatasetMetric: no data sample was evaluated (an empty '
                'val/test set, or process() never received a sample): '
                'there is nothing to score')
        if size is not None and total != size:
            raise ValueError(
                f'MultiDatasetMetric: {total} distinct samples '
                f'({counts}) for a dataset of {size}: samples with equal '
                f'({self.key}, sample_idx) were merged; two sub-datasets '
                f'probably share a {self.key} (give each its own)')
        empty = [name for name, count in counts.items() if count == 0]
        if empty:
            print_log(
                f'MultiDatasetMetric: no sample of {empty} in this '
                'evaluation; the metrics routed to them are not reported',
                logger='current',
                level=logging.WARNING)
        return metrics


def _unique_in_order(keyed: list, name: str) -> list:
    """Results in dataset order, each sample once (padding repeats it).

    Raises:
        ValueError: two different samples (``img_path``) share a key.
    """
    unique: dict = {}
    for (key, identity), result in keyed:
        first = unique.setdefault(key, (identity, result))
        if first[0] != identity:
            raise ValueError(
                f'MultiDatasetMetric: two different samples of {name!r} '
                f'have sample_idx {key[1]} ({first[0]!r} and {identity!r}): '
                f'two sub-datasets share the dataset_name {name!r}; give '
                'each its own dataset_name and route')
    return [unique[k][1] for k in sorted(unique)]
