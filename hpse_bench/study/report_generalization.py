"""Report of the second study: 2D pre-training for 3D pose estimation.

Mills, Jiang, Chen, "2D Pre-Training for 3D Pose Estimation" ask three
questions of an integral 3D keypoint regressor; this module answers them
from a finished study (``configs/study/mills_2d_pretrain*.py``):

1. Does 2D pose pre-training beat 3D-only training at the same compute?
   (pre-trained vs 3D-only table; MPJPE against total training compute).
2. How does the backbone size change that? (every table and the plot are
   split by ResNet depth).
3. How well does each model generalise? (the generalisation matrix: train
   set x test set, MPJPE).

``write_report(res, out_dir)`` is called by ``report.write_reports`` when
the study config lists ``extra_reports = ['report_generalization']``. It
reads only the stage records (``DONE.json``: test metrics, wall seconds,
devices) and the runs' own MMEngine logs (2D validation metrics, 3D
learning curves), so every number can be found in a log. It writes
``generalization.csv``, ``compute.csv``, ``pretrain_2d.csv`` and
``mpjpe_vs_compute.png`` into ``out_dir`` and returns Markdown lines.

The study config describes its axes:

- ``finetune.<regressor>``: ``depth`` (ResNet depth) and ``train_set`` (a
  key of ``generalization.train_sets``);
- ``pretrain.<method>``: ``label``, ``init_label`` (the label without
  the backbone, for tables that show the depth apart), ``data`` and
  ``val_metrics`` (2D validation keys in the logs -> names); a method
  without ``config`` is the 3D-only (random initialisation) baseline;
- ``generalization = dict(metric='mpjpe', test_sets=[dict(key, name)],
  train_sets={key: name}, curve_metric='h36m/mpjpe')``.
"""
import csv
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from .compute_budget import device_hours
from .logs import read_val_curve


def _mean(values: Sequence[float]) -> float:
    values = [v for v in values if v is not None and not math.isnan(v)]
    return sum(values) / len(values) if values else float('nan')


def _fmt(value: float, digits: int = 2) -> str:
    return '-' if value is None or math.isnan(value) else \
        f'{value:.{digits}f}'


def _clock(seconds: float) -> str:
    """``H:MM:SS`` with hours beyond a day (``31:02:05``)."""
    if seconds is None or math.isnan(seconds):
        return '-'
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f'{hours:02d}:{minutes:02d}:{secs:02d}'


class _Study:
    """Index of a :class:`~hpse_bench.study.report.StudyResults` by the
    second study's axes (depth, train set, initialisation)."""

    def __init__(self, res):
        self.res = res
        self.cfg = res.cfg
        spec = dict(self.cfg.get('generalization', {}))
        self.metric = spec.get('metric', 'mpjpe')
        self.test_sets: List[dict] = [
            dict(t) for t in spec.get('test_sets', [])
        ]
        self.train_sets: Dict[str, str] = dict(spec.get('train_sets', {}))
        self.curve_metric = spec.get(
            'curve_metric', self.cfg.table.get('curve_metric', 'h36m/mpjpe'))
        self.fraction = res.fractions[0]

    # -- axes ------------------------------------------------------------
    def depth(self, regressor: str) -> Optional[int]:
        depth = self.cfg.finetune[regressor].get('depth')
        return int(depth) if depth is not None else None

    def train_set(self, regressor: str) -> str:
        return self.cfg.finetune[regressor].get('train_set', regressor)

    def train_set_name(self, key: str) -> str:
        return self.train_sets.get(key, key)

    def is_scratch(self, method: str) -> bool:
        spec = self.cfg.pretrain[method]
        return not (spec.get('config') or spec.get('checkpoint'))

    def methods_of(self, regressor: str) -> List[str]:
        paired = self.cfg.finetune[regressor].get('pretrain')
        return [m for m in self.res.methods if paired is None or m in paired]

    def cells(self) -> List[Tuple[str, str]]:
        """(regressor, method) pairs, ordered by depth, train set, then
        pre-trained methods before the 3D-only baseline."""
        order = {k: i for i, k in enumerate(self.train_sets)}
        out = []
        for r in self.res.regressors:
            for m in self.methods_of(r):
                out.append((r, m))
        out.sort(key=lambda c:
                 (self.depth(c[0]) or 0, order.get(self.train_set(c[0]), 99),
                  self.is_scratch(c[1]), self.res.methods.index(c[1])))
        return out

    def label(self, method: str) -> str:
        """How a 3D run starts: the method's ``init_label`` (its
        ``label`` without the depth, which the tables show apart)."""
        spec = self.cfg.pretrain[method]
        return spec.get('init_label', self.res.label(method))

    # -- records -----------------------------------------------------------
    def records(self, kind: str, **match) -> List[dict]:
        out = []
        for stage in self.res.stages:
            if stage.kind != kind:
                continue
            if any(getattr(stage, k) != v for k, v in match.items()):
                continue
            rec = self.res.records.get(stage.name)
            if rec:
                out.append(dict(rec, work_dir=stage.work_dir))
        return out

    def seeds(self) -> List[int]:
        return list(self.cfg.get('seeds', [0]))

    def hours(self, kind: str, **match) -> float:
        recs = self.records(kind, **match)
        return sum(device_hours(r) for r in recs) if recs else 0.0

    def pretrain_hours(self, method: str, seed: int) -> float:
        """Device-hours of a method's pre-training and export (0 for the
        3D-only baseline)."""
        return (self.hours('pretrain', method=method, seed=seed) +
                self.hours('export', method=method, seed=seed))

    def finetune_hours(self, regressor: str, method: str, seed: int) -> float:
        return self.hours('finetune',
                          regressor=regressor,
                          method=method,
                          fraction=self.fraction,
                          seed=seed)

    def total_hours(self, regressor: str, method: str) -> float:
        """Mean over seeds of pre-training + export + 3D training."""
        values = []
        for seed in self.seeds():
            ft = self.records('finetune',
                              regressor=regressor,
                              method=method,
                              fraction=self.fraction,
                              seed=seed)
            if ft:
                values.append(
                    self.pretrain_hours(method, seed) +
                    self.finetune_hours(regressor, method, seed))
        return _mean(values)

    def value(self, regressor: str, method: str, key: str) -> float:
        return _mean(self.res.metric(regressor, method, self.fraction, key))

    def curve(self, regressor: str,
              method: str) -> List[Tuple[float, float, float]]:
        """``[(epoch, total device-hours so far, value)]`` of the validation
        curve, mean over seeds (epochs every seed has).

        The hours of a point are the pre-training's plus the share of the
        3D run done by that epoch (its device-hours x epoch / last epoch).
        """
        per_seed = []
        for seed in self.seeds():
            recs = self.records('finetune',
                                regressor=regressor,
                                method=method,
                                fraction=self.fraction,
                                seed=seed)
            if not recs:
                continue
            curve = recs[0].get('result',
                                {}).get('val_curve',
                                        {}).get(self.curve_metric, [])
            if not curve:
                continue
            last = max(e for e, _ in curve)
            pre = self.pretrain_hours(method, seed)
            ft = device_hours(recs[0])
            per_seed.append({
                int(e): (pre + ft * e / last, v)
                for e, v in curve
            })
        if not per_seed:
            return []
        epochs = sorted(set.intersection(*[set(c) for c in per_seed]))
        return [(e, _mean([c[e][0] for c in per_seed]),
                 _mean([c[e][1] for c in per_seed])) for e in epochs]


# ----------------------------------------------------------------------
# Sections
# ----------------------------------------------------------------------
def _pretrain_section(st: _Study, out_dir: str) -> List[str]:
    rows, lines = [], []
    header = [
        'method', 'label', 'data', 'seed', 'metric', 'name', 'value', 'epoch',
        'seconds', 'device_hours'
    ]
    md = [
        '| backbone | pre-training | data | 2D validation (last epoch) | '
        'wall time | device-hours |', '|---|---|---|---|---|---|'
    ]
    for method in st.res.methods:
        if st.is_scratch(method):
            continue
        names = dict(st.cfg.pretrain[method].get('val_metrics', {}))
        texts, seconds, hours = [], [], []
        for rec in st.records('pretrain', method=method):
            curves = read_val_curve(rec['work_dir'])
            seconds.append(float(rec.get('seconds') or 0.0))
            hours.append(device_hours(rec))
            keys = list(names) or sorted(curves)
            for key in keys:
                if not curves.get(key):
                    continue
                epoch, value = curves[key][-1]
                rows.append([
                    method,
                    st.label(method),
                    st.res.data(method),
                    rec.get('seed'), key,
                    names.get(key, key),
                    repr(float(value)), epoch, f'{rec.get("seconds", 0):.1f}',
                    f'{device_hours(rec):.6f}'
                ])
                texts.append(f'{names.get(key, key)} {value:.4g}')
        depth = st.cfg.pretrain[method].get('depth')
        md.append(f'| {"ResNet-%d" % depth if depth else "-"} | '
                  f'{st.label(method)} | {st.res.data(method)} | '
                  f'{", ".join(texts) or "-"} | {_clock(_mean(seconds))} | '
                  f'{_fmt(_mean(hours), 4)} |')
    with open(osp.join(out_dir, 'pretrain_2d.csv'), 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    lines += [
        '## 2D pre-training', '',
        'Validation metrics of the last epoch, read from each '
        "pre-training run's own log (`pretrain_2d.csv`).", ''
    ] + md
    return lines


def _matrix_section(st: _Study, out_dir: str) -> List[str]:
    metric = st.metric
    header = [
        'regressor', 'depth', 'train_set', 'method', 'label', 'test_set',
        'metric', 'mean', 'n_seeds', 'values'
    ]
    rows = []
    sets = st.test_sets
    md = [
        '| backbone | initialisation | train set | ' +
        ' | '.join(t.get('name', t['key']) for t in sets) + ' |',
        '|---|---|---|' + '---|' * len(sets)
    ]
    for r, m in st.cells():
        cells = []
        for t in sets:
            key = f'{t["key"]}/{metric}'
            values = st.res.metric(r, m, st.fraction, key)
            mean = _mean(values)
            cells.append(_fmt(mean))
            rows.append([
                r,
                st.depth(r),
                st.train_set(r), m,
                st.label(m), t['key'], metric,
                '' if math.isnan(mean) else repr(mean),
                len(values), ';'.join(repr(float(v)) for v in values)
            ])
        depth = st.depth(r)
        md.append(f'| {"ResNet-%d" % depth if depth else r} | {st.label(m)}'
                  f' | {st.train_set_name(st.train_set(r))} | ' +
                  ' | '.join(cells) + ' |')
    with open(osp.join(out_dir, 'generalization.csv'), 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    name = metric.upper().replace('PA_', 'PA-')
    return [
        f'## Generalisation matrix ({name}, mm)', '',
        'Rows: the training run (backbone, initialisation, 3D training '
        'set); columns: the test sets, all scored by one `tools/test.py` '
        'run per model (MultiDatasetMetric). Mean over seeds; every value '
        'with its seeds in `generalization.csv`.', ''
    ] + md


def _comparison_section(st: _Study) -> List[str]:
    """Pre-trained vs 3D-only per (depth, train set)."""
    key = st.curve_metric
    md = [
        f'| backbone | train set | initialisation | {key} | vs 3D-only | '
        'total compute (device-h) | compute to reach the 3D-only result '
        '(device-h) |', '|---|---|---|---|---|---|---|'
    ]
    groups: Dict[Tuple, List[Tuple[str, str]]] = {}
    for r, m in st.cells():
        groups.setdefault((st.depth(r), st.train_set(r)), []).append((r, m))
    any_row = False
    for (depth, train_set), cells in groups.items():
        scratch = [(r, m) for r, m in cells if st.is_scratch(m)]
        base = st.value(*scratch[0], key) if scratch else float('nan')
        base_curve = st.curve(*scratch[0]) if scratch else []
        target = base_curve[-1][2] if base_curve else float('nan')
        for r, m in cells:
            value = st.value(r, m, key)
            delta = value - base if not st.is_scratch(m) else float('nan')
            reach = '-'
            if not math.isnan(target) and not st.is_scratch(m):
                hits = [h for _, h, v in st.curve(r, m) if v <= target]
                reach = _fmt(hits[0], 4) if hits else 'not reached'
            any_row = True
            md.append(f'| {"ResNet-%d" % depth if depth else r} | '
                      f'{st.train_set_name(train_set)} | {st.label(m)} | '
                      f'{_fmt(value)} | '
                      f'{"-" if math.isnan(delta) else f"{delta:+.2f}"} | '
                      f'{_fmt(st.total_hours(r, m), 4)} | {reach} |')
    if not any_row:
        return []
    return [
        '## Pre-trained vs 3D-only', '',
        f'`{key}` of the test run; "vs 3D-only" is the difference to the '
        'random-initialisation run of the same backbone and training set '
        '(negative: pre-training helps). Compute is pre-training + export '
        '+ 3D training, measured. The last column: the compute at which the '
        'model\'s validation curve first reaches the 3D-only run\'s final '
        'validation value.', ''
    ] + md


def _compute_section(st: _Study, out_dir: str) -> List[str]:
    header = [
        'stage', 'kind', 'method', 'regressor', 'seed', 'seconds', 'devices',
        'device_hours'
    ]
    rows, totals = [], {}
    for stage in st.res.stages:
        rec = st.res.records.get(stage.name)
        if not rec:
            continue
        hours = device_hours(rec)
        rows.append([
            stage.name, stage.kind, stage.method or '', stage.regressor or '',
            stage.seed, f'{float(rec.get("seconds") or 0):.1f}',
            rec.get('gpus', 1), f'{hours:.6f}'
        ])
        seconds, dh = totals.get(stage.kind, (0.0, 0.0))
        totals[stage.kind] = (seconds + float(rec.get('seconds') or 0),
                              dh + hours)
    with open(osp.join(out_dir, 'compute.csv'), 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    md = [
        '| stage kind | stages | wall time | device-hours |',
        '|---|---|---|---|'
    ]
    for kind in ('pretrain', 'export', 'finetune', 'test'):
        if kind not in totals:
            continue
        n = sum(1 for r in rows if r[1] == kind)
        md.append(f'| {kind} | {n} | {_clock(totals[kind][0])} | '
                  f'{totals[kind][1]:.4f} |')
    all_seconds = sum(v[0] for v in totals.values())
    md.append(f'| all | {len(rows)} | {_clock(all_seconds)} | '
              f'{sum(v[1] for v in totals.values()):.4f} |')
    cell_md = [
        '| backbone | initialisation | train set | 2D pre-training | 3D '
        'training | total (device-h) |', '|---|---|---|---|---|---|'
    ]
    for r, m in st.cells():
        pre = _mean([st.pretrain_hours(m, s) for s in st.seeds()])
        ft = _mean([
            st.finetune_hours(r, m, s) for s in st.seeds()
            if st.records('finetune',
                          regressor=r,
                          method=m,
                          fraction=st.fraction,
                          seed=s)
        ])
        depth = st.depth(r)
        cell_md.append(
            f'| {"ResNet-%d" % depth if depth else r} | {st.label(m)} | '
            f'{st.train_set_name(st.train_set(r))} | {_fmt(pre, 4)} | '
            f'{_fmt(ft, 4)} | {_fmt(st.total_hours(r, m), 4)} |')
    return [
        '## Compute', '',
        'Measured wall time of every stage (`DONE.json`), times the devices '
        'it held; per stage in `compute.csv`. The 3D-only schedules follow '
        "the rule of `hpse_bench/study/compute_budget.py` (the pre-training's "
        'backbone passes x input pixels, added as 3D epochs); the columns '
        'below show what each run really cost, validation and start-up '
        'included, which the rule does not count.', ''
    ] + md + [''] + cell_md


def plot_mpjpe_vs_compute(st: _Study, out_dir: str) -> Optional[str]:
    """MPJPE against total training compute, one panel per train set; one
    colour per backbone depth, solid pre-trained, dashed 3D-only."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    # Panels only for training sets with a finished run.
    train_sets = []
    for r, m in st.cells():
        finished = st.records('finetune', regressor=r, method=m)
        if finished and st.train_set(r) not in train_sets:
            train_sets.append(st.train_set(r))
    if not train_sets:
        return None
    depths = sorted({st.depth(r) or 0 for r in st.res.regressors})
    colors = plt.get_cmap('viridis')
    color = {
        d: colors(i / max(1,
                          len(depths) - 1) * 0.85)
        for i, d in enumerate(depths)
    }
    # Line style by pre-training data (MPII solid, LSP dotted, ...).
    pre_data = []
    for m in st.res.methods:
        if not st.is_scratch(m) and st.res.data(m) not in pre_data:
            pre_data.append(st.res.data(m))
    styles = ['-', ':', '-.']
    fig, axes = plt.subplots(1,
                             len(train_sets),
                             figsize=(5.0 * len(train_sets), 4.0),
                             dpi=120,
                             squeeze=False)
    drawn = False
    for ax, train_set in zip(axes[0], train_sets):
        for r, m in st.cells():
            if st.train_set(r) != train_set:
                continue
            points = st.curve(r, m)
            final = st.value(r, m, st.curve_metric)
            total = st.total_hours(r, m)
            if not points and math.isnan(final):
                continue
            depth = st.depth(r) or 0
            scratch = st.is_scratch(m)
            style = '--' if scratch else styles[pre_data.index(st.res.data(m))
                                                % len(styles)]
            label = f'R{depth} {st.label(m)}' if depth else st.label(m)
            if points:
                ax.plot([p[1] for p in points], [p[2] for p in points],
                        linestyle=style,
                        marker='o',
                        ms=3,
                        color=color[depth],
                        label=label)
                label = None
            if not math.isnan(final) and not math.isnan(total):
                ax.plot([total], [final],
                        marker='*',
                        ms=9,
                        color=color[depth],
                        linestyle='none',
                        label=label)
            drawn = True
        ax.set_title(f'3D training: {st.train_set_name(train_set)}')
        ax.set_xlabel('total training compute (device-hours)')
        ax.set_ylabel(f'{st.curve_metric} (mm)')
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    if not drawn:
        plt.close(fig)
        return None
    fig.suptitle(
        'Validation curves (dots) and test result (star); '
        'dashed: 3D-only',
        fontsize=9)
    fig.tight_layout()
    path = osp.join(out_dir, 'mpjpe_vs_compute.png')
    fig.savefig(path)
    plt.close(fig)
    return path


def write_report(res, out_dir: str) -> List[str]:
    """Write the second study's tables and plot; return Markdown lines."""
    st = _Study(res)
    lines = ['# 2D pre-training for 3D pose estimation', '']
    lines += _pretrain_section(st, out_dir) + ['']
    lines += _matrix_section(st, out_dir) + ['']
    comparison = _comparison_section(st)
    if comparison:
        lines += comparison + ['']
    plot = plot_mpjpe_vs_compute(st, out_dir)
    if plot:
        lines += [
            '## MPJPE against training compute', '',
            f'![{osp.basename(plot)}]({osp.basename(plot)})', ''
        ]
    lines += _compute_section(st, out_dir)
    return lines
