"""Read the numbers a study reports from MMEngine's own run logs.

The tables are built from these files and nothing else, so every number in a
report can be found in the log of the run that produced it.

MMEngine writes, per run (``<work_dir>/<timestamp>/``):
- ``vis_data/scalars.json``: one JSON object per line; training lines carry
  ``loss``/``lr`` with ``epoch``/``iter``/``step``, validation lines carry the
  metrics with ``step`` = epoch;
- ``<timestamp>.json`` (test runs): the test metrics.
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
    """Validation metrics per epoch: ``{metric: [[epoch, value], ...]}``.

    When a resumed run re-validates an epoch, the later value wins.
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
    return {k: [[e, v] for e, v in sorted(d.items())] for k, d in curves.items()}


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
    """Path in MMEngine's ``last_checkpoint`` file, if the run saved one."""
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        return None
    with open(marker) as f:
        path = f.read().strip()
    if not osp.isabs(path) and not osp.isfile(path):
        path = osp.join(work_dir, osp.basename(path))
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
