"""Sections of the second study's report (see :mod:`.generalization`):
the 2D pre-training, the generalisation matrix, pre-trained vs 3D-only and
the compute. Every cell is mean ± std over seeds; differences to the
3D-only run are paired by seed and marked by the rule of :mod:`.stats`."""
import csv
import os.path as osp
from typing import TYPE_CHECKING, Dict, List

from ..compute_budget import device_hours
from ..logs import read_val_curve
from .stats import MARK_RULE, paired, summarize
from .tables import Cell, Column, Row, Table, clock, seeds_caption, write_table

if TYPE_CHECKING:
    from .generalization import GeneralizationIndex


def _files(files: Dict[str, str]) -> str:
    return (f'(`{osp.basename(files["csv"])}`, '
            f'`{osp.basename(files["tex"])}`)')


def pretrain_section(gi: 'GeneralizationIndex', out_dir: str) -> List[str]:
    """The 2D stage: last validation metrics, wall time and device-hours of
    each pre-training (``pretrain_2d.csv``: per seed)."""
    methods = [m for m in gi.res.methods if not gi.is_scratch(m)]
    names: Dict[str, str] = {}
    for m in methods:
        names.update(dict(gi.cfg.pretrain[m].get('val_metrics', {})))
    table = Table('pretrain_2d_summary', '',
                  ['backbone', 'pre-training', 'data'], [
                      Column(k, f'{n} (last validation)', None, 4)
                      for k, n in names.items()
                  ] + [
                      Column('seconds', 'wall time', None, fmt=clock),
                      Column('device_hours', 'device-hours', None, 4)
                  ])
    csv_rows = []
    for m in methods:
        recs = gi.res.stage_records('pretrain', method=m)
        own = dict(gi.cfg.pretrain[m].get('val_metrics', {}))
        last: Dict[str, Dict[int, float]] = {}
        for stage, rec in recs:
            curves = read_val_curve(stage.work_dir)
            for key in list(own) or sorted(curves):
                if curves.get(key):
                    step, value = curves[key][-1]
                    last.setdefault(key, {})[stage.seed] = value
                    csv_rows.append([
                        m,
                        gi.label(m),
                        gi.res.data(m), stage.seed, key,
                        own.get(key, key),
                        repr(float(value)), step,
                        f'{float(rec.get("seconds") or 0):.1f}',
                        f'{device_hours(rec):.6f}'
                    ])
        depth = gi.cfg.pretrain[m].get('depth')
        cells = [Cell.of(summarize(last.get(k, {}))) for k in names]
        cells += [
            Cell.of(summarize({
                s.seed: r.get('seconds')
                for s, r in recs
            })),
            Cell.of(summarize({
                s.seed: device_hours(r)
                for s, r in recs
            }))
        ]
        table.rows.append(
            Row('method', [
                f'ResNet-{depth}' if depth else '-',
                gi.label(m),
                gi.res.data(m)
            ], cells, dict(method=m)))
    with open(osp.join(out_dir, 'pretrain_2d.csv'), 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow([
            'method', 'label', 'data', 'seed', 'metric', 'name', 'value',
            'epoch', 'seconds', 'device_hours'
        ])
        writer.writerows(csv_rows)
    table.caption = ('Validation metrics of the last validation, read from '
                     'each pre-training run\'s own log (per seed in '
                     '`pretrain_2d.csv`). ' + seeds_caption(table))
    files = write_table(table, out_dir)
    return ['## 2D pre-training', '', files['markdown'], '', _files(files)]


def _matrix_baselines(gi: 'GeneralizationIndex',
                      columns: List[Column]) -> List[Row]:
    """Baseline rows of each training set (its first regressor's)."""
    rows, seen = [], set()
    for r in gi.res.regressors:
        train_set = gi.train_set(r)
        if train_set in seen or not gi.res.baselines(r):
            continue
        seen.add(train_set)
        for name, label, values in gi.res.baselines(r):
            rows.append(
                Row('baseline',
                    ['-', label, gi.train_set_name(train_set)], [
                        Cell.constant(values.get(c.fields['metric_key']))
                        for c in columns
                    ], dict(regressor=r, method=f'baseline:{name}')))
    return rows


def matrix_section(gi: 'GeneralizationIndex', out_dir: str) -> List[str]:
    """Train set x test set, one row per finished (regressor, method)."""
    columns = [
        Column(
            t['key'],
            t.get('name', t['key']),
            True,
            fields=dict(
                test_set=t['key'],
                metric=gi.metric,
                metric_key=f'{t["key"]}/{gi.metric}')) for t in gi.test_sets
    ]
    table = Table('generalization', '',
                  ['backbone', 'initialisation', 'train set'], columns)
    for r, m in gi.cells():
        scratch = gi.scratch_of(r)
        cells = []
        for col in columns:
            values = gi.values(r, m, col.fields['metric_key'])
            marker = ''
            if scratch and m != scratch:
                marker = paired(
                    values, gi.values(r, scratch, col.fields['metric_key']),
                    True).marker
            cells.append(Cell.of(summarize(values), marker))
        table.rows.append(
            Row(
                'method', [
                    gi.backbone(r),
                    gi.label(m),
                    gi.train_set_name(gi.train_set(r))
                ], cells,
                dict(
                    regressor=r,
                    depth=gi.depth(r) or '',
                    train_set=gi.train_set(r),
                    method=m,
                    label=gi.label(m))))
    table.rows += _matrix_baselines(gi, columns)
    name = gi.metric.upper().replace('PA_', 'PA-')
    table.caption = ' '.join(
        p for p in
        ('Rows: the training run (backbone, initialisation, 3D training set) '
         'and the baselines of each training set; columns: the test sets, '
         'all scored by one test run per model.', seeds_caption(table),
         MARK_RULE.format(reference='the 3D-only run of the same backbone '
                          'and training set')) if p)
    files = write_table(table, out_dir)
    return [
        f'## Generalisation matrix ({name}, mm)', '', files['markdown'], '',
        _files(files)
    ]


def _reach_cell(hours: Dict[int, object]) -> Cell:
    reached = {s: h for s, h in hours.items() if h is not None}
    if not hours:
        return Cell()
    if not reached:
        return Cell(note='not reached')
    cell = Cell.of(summarize(reached))
    if len(reached) < len(hours):
        # The note says how many seeds the mean is over.
        cell.note = f'({len(reached)}/{len(hours)} seeds reached)'
        cell.seeded = False
    return cell


def comparison_section(gi: 'GeneralizationIndex', out_dir: str) -> List[str]:
    """Pre-trained vs 3D-only per (depth, train set), paired by seed."""
    key = gi.curve_metric
    table = Table(
        'vs_3d_only', '', ['backbone', 'train set', 'initialisation'], [
            Column(key, key, None),
            Column('vs_3d_only', 'vs 3D-only', None, signed=True),
            Column('total_hours', 'total compute (device-h)', None, 4),
            Column('reach_hours', 'compute to reach the 3D-only '
                   'result (device-h)', None, 4),
        ])
    for r, m in gi.cells():
        scratch = gi.scratch_of(r)
        values = gi.values(r, m, key)
        pre_trained = scratch is not None and m != scratch
        vs = paired(values, gi.values(r, scratch, key), True) \
            if pre_trained else None
        reach = Cell()
        if pre_trained:
            target = {
                s: c[-1][2]
                for s, c in gi.seed_curves(r, scratch).items()
            }
            reach = _reach_cell(gi.hours_to_reach(r, m, target))
        table.rows.append(
            Row('method', [
                gi.backbone(r),
                gi.train_set_name(gi.train_set(r)),
                gi.label(m)
            ], [
                Cell.of(summarize(values)),
                Cell.difference(vs) if vs else Cell(),
                Cell.of(summarize(gi.total_hours(r, m))), reach
            ], dict(regressor=r, method=m)))
    if not table.rows:
        return []
    table.caption = ' '.join(
        p for p in
        (f'`{key}` of the test run; "vs 3D-only": mean ± std of the per-seed '
         'differences to the random-initialisation run of the same backbone '
         'and training set (negative: pre-training helps).',
         seeds_caption(table), MARK_RULE.format(reference='the 3D-only run'),
         'Compute is '
         'pre-training + export + 3D training, measured. The last column: '
         'the compute at which a seed\'s validation curve first reaches the '
         'final validation value of the 3D-only run of the same seed.') if p)
    files = write_table(table, out_dir)
    return [
        '## Pre-trained vs 3D-only', '', files['markdown'], '',
        _files(files)
    ]


def _stage_compute(gi: 'GeneralizationIndex', out_dir: str) -> List[str]:
    """``compute.csv`` (every stage) and the per-kind Markdown table."""
    rows, totals = [], {}
    for stage in gi.res.stages:
        rec = gi.res.records.get(stage.name)
        if not rec:
            continue
        hours, seconds = device_hours(rec), float(rec.get('seconds') or 0)
        rows.append([
            stage.name, stage.kind, stage.method or '', stage.regressor or '',
            stage.seed, f'{seconds:.1f}',
            rec.get('gpus', 1), f'{hours:.6f}'
        ])
        old = totals.get(stage.kind, (0, 0.0, 0.0))
        totals[stage.kind] = (old[0] + 1, old[1] + seconds, old[2] + hours)
    with open(osp.join(out_dir, 'compute.csv'), 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow([
            'stage', 'kind', 'method', 'regressor', 'seed', 'seconds',
            'devices', 'device_hours'
        ])
        writer.writerows(rows)
    md = [
        '| stage kind | stages | wall time | device-hours |',
        '|---|---|---|---|'
    ]
    for kind, (n, seconds, hours) in totals.items():
        md.append(f'| {kind} | {n} | {clock(seconds)} | {hours:.4f} |')
    md.append(f'| all | {len(rows)} | '
              f'{clock(sum(v[1] for v in totals.values()))} | '
              f'{sum(v[2] for v in totals.values()):.4f} |')
    return md


def compute_section(gi: 'GeneralizationIndex', out_dir: str) -> List[str]:
    """Measured compute per stage kind and per (regressor, method)."""
    table = Table('compute_per_model', '',
                  ['backbone', 'initialisation', 'train set'], [
                      Column('pretrain_hours', '2D pre-training', None, 4),
                      Column('finetune_hours', '3D training', None, 4),
                      Column('total_hours', 'total (device-h)', None, 4)
                  ])
    for r, m in gi.cells():
        fts = gi.finetune_records(r, m)
        table.rows.append(
            Row('method', [
                gi.backbone(r),
                gi.label(m),
                gi.train_set_name(gi.train_set(r))
            ], [
                Cell.of(summarize({s: gi.pretrain_hours(m, s)
                                   for s in fts})),
                Cell.of(
                    summarize({
                        s: device_hours(rec)
                        for s, rec in fts.items()
                    })),
                Cell.of(summarize(gi.total_hours(r, m))),
            ], dict(regressor=r, method=m)))
    table.caption = ('Device-hours per model (mean ± std over seeds), '
                     'validation and start-up included. ' +
                     seeds_caption(table))
    return [
        '## Compute', '',
        'Measured wall time of every stage (`DONE.json`), times the devices '
        'it held; per stage in `compute.csv`. The 3D-only schedules follow '
        'the rule of `hpse_bench/study/compute_budget.py` (the '
        'pre-training\'s backbone passes x input pixels, added as 3D '
        'epochs); the tables show what each run really cost, which the '
        'rule does not count.', ''
    ] + _stage_compute(
        gi, out_dir) + ['', write_table(table, out_dir)['markdown']]
