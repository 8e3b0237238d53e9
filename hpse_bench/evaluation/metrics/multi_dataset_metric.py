from typing import Dict, List, Optional, Sequence, Union

from mmengine.dist import (all_gather_object, broadcast_object_list,
                           get_world_size, is_main_process)
from mmengine.evaluator import BaseMetric

from hpse_bench.registry import METRICS

from ._data_sample import sample_as_dict


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
            for ms in self.routes.values() for m in ms
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
        grouped: Dict[str, list] = {}
        for sample in data_samples:
            d = sample_as_dict(sample)
            name = d.get(self.key)
            if name not in self.routes:
                raise KeyError(
                    f'MultiDatasetMetric: sample {d.get("img_path")!r} has '
                    f'{self.key}={name!r}, but metrics are configured only '
                    f'for {sorted(self.routes)}')
            grouped.setdefault(name, []).append(d)
        for name, samples in grouped.items():
            keys = [(name, int(s.get('sample_idx', -1))) for s in samples]
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
        metrics: dict = {}
        for ms in self.routes.values():
            for metric in ms:
                local = self._keyed[id(metric)]
                if get_world_size() > 1:
                    parts = all_gather_object(local)
                    local = [item for part in parts for item in part]
                if is_main_process():
                    unique = dict()
                    for k, result in local:
                        unique.setdefault(k, result)
                    ordered = [unique[k] for k in sorted(unique)]
                    if ordered:
                        out = metric.compute_metrics(ordered)
                        if metric.prefix:
                            out = {
                                f'{metric.prefix}/{k}': v
                                for k, v in out.items()
                            }
                        metrics.update(out)
                self._keyed[id(metric)] = []
        box = [metrics]
        broadcast_object_list(box)
        return box[0]
