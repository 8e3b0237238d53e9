"""Metric evaluation that ends the same way on every rank."""
from typing import Callable, Dict

from mmengine.dist import (broadcast_object_list, collect_results,
                           is_main_process)
from mmengine.evaluator import BaseMetric


def broadcast_outcome(compute: Callable[[], Dict]) -> Dict:
    """Run ``compute`` on the main process; every rank gets its outcome.

    The metrics compute on rank 0 only. If that raised there alone, the
    other ranks would wait in the broadcast that follows until the process
    group times out; instead the error is broadcast too and raised on every
    rank (rank 0 re-raises the original, the others a ``RuntimeError`` that
    quotes it).

    Args:
        compute: returns the metrics dict (called on the main process only).

    Returns:
        The metrics dict, on every rank.
    """
    box = [None]
    error = None
    if is_main_process():
        try:
            box = [('ok', compute())]
        except Exception as e:  # every rank must learn of it
            error = e
            box = [('error', f'{type(e).__name__}: {e}')]
    broadcast_object_list(box)
    status, value = box[0]
    if status == 'ok':
        return value
    if error is not None:
        raise error
    raise RuntimeError(f'metric evaluation failed on rank 0: {value}')


def evaluate_metric(metric: BaseMetric, size: int) -> Dict:
    """``BaseMetric.evaluate`` with :func:`broadcast_outcome`.

    Gathers ``metric.results`` from every rank (dropping the sampler's
    padding by ``size``), computes on rank 0, prefixes the names, and clears
    the results.
    """
    results = collect_results(
        metric.results,
        size,
        metric.collect_device,
        tmpdir=metric.collect_dir if metric.collect_device == 'cpu' else None)

    def compute() -> Dict:
        out = metric.compute_metrics(results)
        if metric.prefix:
            out = {f'{metric.prefix}/{k}': v for k, v in out.items()}
        return out

    try:
        return broadcast_outcome(compute)
    finally:
        metric.results.clear()
