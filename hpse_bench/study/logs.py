"""Read the numbers a study reports from MMEngine's own run logs.

The tables are built from these files and nothing else, so every number in a
report can be found in the log of the run that produced it.

MMEngine writes, per run (``<work_dir>/<timestamp>/``):
- ``vis_data/scalars.json``: one JSON object per line; training lines carry
  ``loss``/``lr`` with ``iter``/``step`` (and ``epoch`` when
  ``log_processor.by_epoch``), validation lines carry the metrics with
  ``step`` = the epoch, or the iteration in an ``IterBasedTrainLoop`` run
  logged with ``default_hooks.logger.log_metric_by_epoch=False``;
- ``<timestamp>.json`` (test runs): the test metrics;
- ``last_checkpoint``: the path of the latest ``epoch_N.pth`` /
  ``iter_N.pth``.
A resumed run starts a new timestamp folder; they are read in order.
"""
import glob
import json
import os
import os.path as osp
from typing import Dict, List, Optional


def _run_dirs(work_dir: str) -> List[str]:
    """Timestamp folders of a work dir, oldest first."""
    dirs = [
        d for d in glob.glob(osp.join(work_dir, '*'))
        if osp.isdir(d) and osp.basename(d)[:8].isdigit()
    ]
    return sorted(dirs)


def _read_json_lines(path: str) -> List[dict]:
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    # A run killed mid-write leaves a partial last line.
                    continue
    return out


def read_val_curve(work_dir: str) -> Dict[str, List[List[float]]]:
    """Validation metrics per epoch (per iteration in an iteration-based
    run, see :func:`val_curve_unit`): ``{metric: [[step, value], ...]}``.

    When a resumed run re-validates a step, the later value wins.
    """
    curves: Dict[str, Dict[int, float]] = {}
    for run in _run_dirs(work_dir):
        path = osp.join(run, 'vis_data', 'scalars.json')
        if not osp.isfile(path):
            continue
        for rec in _read_json_lines(path):
            if 'loss' in rec or 'lr' in rec or 'step' not in rec:
                continue
            epoch = int(rec['step'])
            for key, value in rec.items():
                if key in ('step', 'epoch', 'iter') or not isinstance(
                        value, (int, float)):
                    continue
                curves.setdefault(key, {})[epoch] = float(value)
    return {
        k: [[e, v] for e, v in sorted(d.items())]
        for k, d in curves.items()
    }


def val_curve_unit(work_dir: str) -> Optional[str]:
    """``'epoch'`` or ``'iter'``: the unit of :func:`read_val_curve`'s steps
    (training lines carry ``epoch`` only in epoch-based logging); None
    when the run logged no training line."""
    for run in _run_dirs(work_dir):
        path = osp.join(run, 'vis_data', 'scalars.json')
        if not osp.isfile(path):
            continue
        for rec in _read_json_lines(path):
            if 'loss' in rec or 'lr' in rec:
                return 'epoch' if 'epoch' in rec else 'iter'
    return None


def iteration_logging_problems(cfg) -> List[str]:
    """What an ``IterBasedTrainLoop`` config must set for its checkpoints
    and per-iteration validation curves to reach the logs.

    MMEngine's defaults are epoch-based: with them an iteration-based run
    logs every validation at step 0 (``LoggerHook.log_metric_by_epoch``)
    and saves no checkpoint (``CheckpointHook.by_epoch``).

    Args:
        cfg: a resolved training config.

    Returns:
        ``'key: expected ..., got ...'`` lines; empty when fine or epoch-
        based.
    """
    train_cfg = cfg.get('train_cfg') or {}
    iter_based = (train_cfg.get('type') in ('IterBasedTrainLoop',
                                            'mmengine.IterBasedTrainLoop')
                  or train_cfg.get('by_epoch') is False
                  or ('max_iters' in train_cfg and 'max_epochs' not in
                      train_cfg))
    if not iter_based:
        return []
    hooks = cfg.get('default_hooks') or {}
    wanted = {
        'log_processor.by_epoch': (cfg.get('log_processor') or {}).get(
            'by_epoch', True),
        'default_hooks.logger.log_metric_by_epoch': (hooks.get('logger')
                                                     or {}).get(
                                                         'log_metric_by_epoch',
                                                         True),
        'default_hooks.checkpoint.by_epoch': (hooks.get('checkpoint')
                                              or {}).get('by_epoch', True),
    }
    return [
        f'{key}: an IterBasedTrainLoop run needs False, got {value!r}'
        for key, value in wanted.items() if value is not False
    ]


def read_train_loss(work_dir: str, key: str = 'loss') -> List[List[float]]:
    """``[[iteration, value], ...]`` of one training scalar (default: the
    total loss) from the training log lines."""
    out: Dict[int, float] = {}
    for run in _run_dirs(work_dir):
        path = osp.join(run, 'vis_data', 'scalars.json')
        if not osp.isfile(path):
            continue
        for rec in _read_json_lines(path):
            if 'loss' in rec and 'step' in rec and key in rec:
                out[int(rec['step'])] = float(rec[key])
    return [[k, v] for k, v in sorted(out.items())]


def read_test_metrics(work_dir: str) -> Optional[Dict[str, float]]:
    """Metrics of the latest completed test run in ``work_dir``."""
    for run in reversed(_run_dirs(work_dir)):
        path = osp.join(run, osp.basename(run) + '.json')
        if not osp.isfile(path):
            continue
        recs = _read_json_lines(path)
        if not recs:
            continue
        rec = recs[-1]
        return {
            k: float(v)
            for k, v in rec.items() if isinstance(v, (int, float))
            and k not in ('step', 'epoch', 'iter', 'time', 'data_time')
        }
    return None


def last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint MMEngine's ``last_checkpoint`` file names, if it
    exists (``epoch_N.pth`` or ``iter_N.pth``).

    MMEngine writes an absolute path; the file of that name inside
    ``work_dir`` is preferred, so that a work root that was moved or copied
    reads its own checkpoints, not those at the old place.
    """
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        return None
    with open(marker) as f:
        path = f.read().strip()
    if not path:
        return None
    local = osp.join(work_dir, osp.basename(path))
    if osp.isfile(local):
        return local
    return path if osp.isfile(path) else None


def tail(path: str, lines: int = 40) -> str:
    if not osp.isfile(path):
        return ''
    with open(path, 'rb') as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - 64 * 1024))
        data = f.read().decode(errors='replace')
    return '\n'.join(data.splitlines()[-lines:])
