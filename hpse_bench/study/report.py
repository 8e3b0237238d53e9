"""Study reports: paper-style tables, learning curves, convergence and cost.

Everything here reads the stages' ``DONE.json`` records, which hold the
numbers taken from each run's own MMEngine logs (see ``logs.py``).
"""
import csv
import hashlib
import json
import math
import os
import os.path as osp
import platform
import subprocess
import time
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

from .spec import Stage, fraction_tag

# The paper's annotation-time model (Table 5): seconds per person.
ANNOTATION_SECONDS = {'none': 0.0, 'bbox': 7.0, 'bbox+pose': 42.8}


def _mean_std(values: Sequence[float]) -> Tuple[float, Optional[float]]:
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return float('nan'), None
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None
    var = sum((v - mean)**2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(var)


def _fmt(mean: float, std: Optional[float], digits: int = 2) -> str:
    if math.isnan(mean):
        return '-'
    text = f'{mean:.{digits}f}'
    if std is not None:
        text += f' ± {std:.{digits}f}'
    return text


def _rank_marks(values: List[float], lower_is_better: bool) -> List[str]:
    """'best' / 'second' / '' per value (ties share the mark)."""
    finite = sorted({v for v in values if not math.isnan(v)},
                    reverse=not lower_is_better)
    marks = []
    for v in values:
        if math.isnan(v) or not finite:
            marks.append('')
        elif v == finite[0]:
            marks.append('best')
        elif len(finite) > 1 and v == finite[1]:
            marks.append('second')
        else:
            marks.append('')
    return marks


def environment() -> Dict[str, str]:
    env = {
        'python': platform.python_version(),
        'platform': platform.platform(),
        'processor': platform.processor() or platform.machine(),
    }
    for name in ('torch', 'torchvision', 'mmengine', 'mmcv', 'mmpretrain',
                 'mmpose', 'mmdet', 'smplx', 'numpy'):
        try:
            module = __import__(name)
            env[name] = getattr(module, '__version__', '?')
        except Exception:  # noqa: BLE001 - report what is importable
            env[name] = 'not installed'
    try:
        import torch
        env['device'] = (torch.cuda.get_device_name(0)
                         if torch.cuda.is_available() else
                         f'cpu x{os.cpu_count()}')
    except Exception:  # noqa: BLE001
        pass
    return env


def git_revision() -> str:
    try:
        repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
        out = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
                             cwd=repo,
                             capture_output=True,
                             text=True,
                             timeout=10)
        dirty = subprocess.run(['git', 'status', '--porcelain'],
                               cwd=repo,
                               capture_output=True,
                               text=True,
                               timeout=10).stdout.strip()
        return out.stdout.strip() + ('+dirty' if dirty else '') or 'unknown'
    except Exception:  # noqa: BLE001
        return 'unknown'


def count_persons(ann_file: str) -> Optional[int]:
    """People with at least one labelled keypoint in a COCO JSON."""
    if not ann_file or not osp.isfile(ann_file):
        return None
    with open(ann_file) as f:
        data = json.load(f)
    return sum(1 for a in data.get('annotations', [])
               if a.get('num_keypoints', 1) > 0 and not a.get('iscrowd', 0))


class StudyResults:
    """Results of a study indexed by stage kind, method, regressor, ..."""

    def __init__(self, cfg: Config, stages: List[Stage],
                 records: Dict[str, dict]):
        self.cfg = cfg
        self.stages = stages
        self.records = records
        self.methods = list(cfg.pretrain.keys())
        self.regressors = list(cfg.finetune.keys())
        self.fractions = list(cfg.fractions)
        self.columns = list(cfg.table.columns)

    def _recs(self, kind: str, **match) -> List[dict]:
        out = []
        for s in self.stages:
            if s.kind != kind:
                continue
            if any(getattr(s, k) != v for k, v in match.items()):
                continue
            rec = self.records.get(s.name)
            if rec:
                out.append(rec)
        return out

    def metric(self, regressor, method, fraction, key) -> List[float]:
        recs = self._recs('test', regressor=regressor, method=method,
                          fraction=fraction)
        return [
            r['result']['metrics'].get(key, float('nan')) for r in recs
        ]

    def curves(self, regressor, method, fraction,
               key) -> List[List[List[float]]]:
        recs = self._recs('finetune', regressor=regressor, method=method,
                          fraction=fraction)
        return [r['result'].get('val_curve', {}).get(key, []) for r in recs]

    def pretrain_seconds(self, method) -> List[float]:
        return [r['seconds'] for r in self._recs('pretrain', method=method)]

    def pretrain_gpus(self, method) -> int:
        recs = self._recs('pretrain', method=method)
        return recs[0].get('gpus', 1) if recs else 0

    def label(self, method) -> str:
        return self.cfg.pretrain[method].get('label', method)

    def data(self, method) -> str:
        return self.cfg.pretrain[method].get('data', '-')


def results_table(res: StudyResults, regressor: str) -> Dict:
    """Rows of (data, method) x columns of (fraction, metric) with marks."""
    header = []
    cells = {m: [] for m in res.methods}
    raw = {m: [] for m in res.methods}
    for fraction in res.fractions:
        for col in res.columns:
            header.append((fraction, col))
            for m in res.methods:
                mean, std = _mean_std(
                    res.metric(regressor, m, fraction, col['key']))
                raw[m].append(mean)
                cells[m].append((mean, std))
    marks = {m: [''] * len(header) for m in res.methods}
    for j, (_, col) in enumerate(header):
        column = [raw[m][j] for m in res.methods]
        for m, mark in zip(res.methods,
                           _rank_marks(column, col.get('lower_is_better',
                                                       True))):
            marks[m][j] = mark
    return dict(header=header, cells=cells, marks=marks)


def _markdown_table(res: StudyResults, regressor: str) -> str:
    t = results_table(res, regressor)
    head = ['pre-training data', 'method'] + [
        f'{col["name"]} ({fraction_tag(f)[:-1]} %)' for f, col in t['header']
    ]
    lines = ['| ' + ' | '.join(head) + ' |',
             '|' + '---|' * len(head)]
    for m in res.methods:
        row = [res.data(m), res.label(m)]
        for (mean, std), mark in zip(t['cells'][m], t['marks'][m]):
            text = _fmt(mean, std)
            if mark == 'best':
                text = f'**{text}**'
            elif mark == 'second':
                text = f'<u>{text}</u>'
            row.append(text)
        lines.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(lines)


def _latex_table(res: StudyResults, regressor: str) -> str:
    t = results_table(res, regressor)
    ncol = len(t['header'])
    lines = [
        r'\begin{tabular}{ll' + 'c' * ncol + '}', r'\toprule',
        'Pre-training data & Method & ' + ' & '.join(
            f'{col["name"]} ({fraction_tag(f)[:-1]}\\%)'
            for f, col in t['header']) + r' \\', r'\midrule'
    ]
    for m in res.methods:
        row = [res.data(m), res.label(m)]
        for (mean, std), mark in zip(t['cells'][m], t['marks'][m]):
            text = _fmt(mean, std).replace('±', r'$\pm$')
            if mark == 'best':
                text = r'\textbf{' + text + '}'
            elif mark == 'second':
                text = r'\underline{' + text + '}'
            row.append(text)
        lines.append(' & '.join(row) + r' \\')
    lines += [r'\bottomrule', r'\end{tabular}']
    return '\n'.join(lines)


def _csv_rows(res: StudyResults) -> List[List]:
    rows = [[
        'regressor', 'method', 'label', 'data', 'fraction', 'metric',
        'mean', 'std', 'n_seeds', 'values'
    ]]
    for r in res.regressors:
        for m in res.methods:
            for f in res.fractions:
                for col in res.columns:
                    values = res.metric(r, m, f, col['key'])
                    mean, std = _mean_std(values)
                    rows.append([
                        r, m, res.label(m), res.data(m), f, col['key'],
                        '' if math.isnan(mean) else f'{mean:.4f}',
                        '' if std is None else f'{std:.4f}',
                        len(values), ';'.join(f'{v:.4f}' for v in values)
                    ])
    return rows


def epochs_to_converge(curve: List[List[float]],
                       tolerance: float = 0.05,
                       lower_is_better: bool = True) -> Optional[int]:
    """First epoch whose value is within ``tolerance`` of the final value."""
    if not curve:
        return None
    final = curve[-1][1]
    for epoch, value in curve:
        if lower_is_better and value <= final * (1 + tolerance):
            return int(epoch)
        if not lower_is_better and value >= final * (1 - tolerance):
            return int(epoch)
    return int(curve[-1][0])


def plot_curves(res: StudyResults, out_dir: str) -> List[str]:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    key = res.cfg.table.get('curve_metric', res.columns[0]['key'])
    name = next((c['name'] for c in res.columns if c['key'] == key), key)
    paths = []
    for r in res.regressors:
        for f in res.fractions:
            fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
            drawn = False
            for m in res.methods:
                curves = [c for c in res.curves(r, m, f, key) if c]
                if not curves:
                    continue
                # Mean over seeds at the epochs every seed has.
                epochs = sorted(set.intersection(
                    *[set(e for e, _ in c) for c in curves]))
                values = [
                    sum(dict(map(tuple, c))[e] for c in curves) / len(curves)
                    for e in epochs
                ]
                ax.plot(epochs, values, marker='o', ms=3, label=res.label(m))
                drawn = True
            if not drawn:
                plt.close(fig)
                continue
            ax.set_xlabel('fine-tuning epoch')
            ax.set_ylabel(f'{name} (mm)' if 'mpjpe' in key or 'pve' in key
                          else name)
            ax.set_title(f'{r}: {name}, {fraction_tag(f)[:-1]} % of the '
                         'fine-tuning data')
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
            fig.tight_layout()
            path = osp.join(out_dir, f'curve_{r}_{fraction_tag(f)}.png')
            fig.savefig(path)
            plt.close(fig)
            paths.append(path)
    return paths


def convergence_table(res: StudyResults) -> str:
    key = res.cfg.table.get('curve_metric', res.columns[0]['key'])
    lower = next((c.get('lower_is_better', True)
                  for c in res.columns if c['key'] == key), True)
    lines = [
        f'| regressor | method | fraction | epochs to within 5 % of final '
        f'{key} | final {key} |', '|---|---|---|---|---|'
    ]
    for r in res.regressors:
        for f in res.fractions:
            for m in res.methods:
                curves = [c for c in res.curves(r, m, f, key) if c]
                if not curves:
                    continue
                epochs = [epochs_to_converge(c, 0.05, lower) for c in curves]
                finals = [c[-1][1] for c in curves]
                e_mean, e_std = _mean_std([float(e) for e in epochs])
                f_mean, f_std = _mean_std(finals)
                lines.append(f'| {r} | {res.label(m)} | '
                             f'{fraction_tag(f)[:-1]} % | '
                             f'{_fmt(e_mean, e_std, 1)} | '
                             f'{_fmt(f_mean, f_std)} |')
    return '\n'.join(lines)


def cost_table(res: StudyResults) -> Tuple[str, List[dict]]:
    rows = []
    lines = [
        '| method | pre-training wall time | device-hours | annotation | '
        'annotated people | annotation time (h, paper model) |',
        '|---|---|---|---|---|---|'
    ]
    for m in res.methods:
        spec = res.cfg.pretrain[m]
        seconds = res.pretrain_seconds(m)
        mean, _ = _mean_std(seconds)
        gpus = res.pretrain_gpus(m)
        hours = mean * gpus / 3600 if seconds else 0.0
        kind = spec.get('annotation', 'none')
        persons = spec.get('annotated_persons')
        if persons is None and spec.get('annotation_file'):
            persons = count_persons(spec['annotation_file'])
        # Only box and box + 2D pose have a time in the paper's model.
        ann_hours = (ANNOTATION_SECONDS[kind] * persons /
                     3600) if persons and kind in ANNOTATION_SECONDS else None
        rows.append(
            dict(method=m, seconds=mean if seconds else 0.0,
                 device_hours=hours, annotation=kind,
                 annotated_persons=persons, annotation_hours=ann_hours))
        wall = (time.strftime('%H:%M:%S', time.gmtime(mean))
                if seconds else '-')
        lines.append(
            f'| {res.label(m)} | {wall} | {hours:.3f} | {kind} | '
            f'{persons if persons is not None else "-"} | '
            f'{"-" if ann_hours is None else f"{ann_hours:.2f}"} |')
    return '\n'.join(lines), rows


def provenance(cfg: Config, stages: List[Stage], records: Dict[str, dict],
               study_cfg_path: str) -> Dict:
    from hpse_bench import __version__
    return dict(
        hpse_bench=__version__,
        git=git_revision(),
        study_config=study_cfg_path,
        study_config_sha256=hashlib.sha256(
            cfg.pretty_text.encode()).hexdigest()[:16],
        seeds=list(cfg.get('seeds', [0])),
        generated=time.strftime('%Y-%m-%dT%H:%M:%S'),
        environment=environment(),
        stages={
            s.name: dict(
                fingerprint=records.get(s.name, {}).get('fingerprint'),
                config=s.config,
                work_dir=s.work_dir,
                seconds=records.get(s.name, {}).get('seconds'))
            for s in stages
        })


def write_reports(cfg: Config, stages: List[Stage], records: Dict[str, dict],
                  study_cfg_path: str) -> Dict[str, str]:
    out_dir = osp.join(cfg.work_root, 'report')
    os.makedirs(out_dir, exist_ok=True)
    res = StudyResults(cfg, stages, records)
    prov = provenance(cfg, stages, records, study_cfg_path)

    md = [f'# Study: {cfg.get("study_name", osp.basename(study_cfg_path))}',
          '']
    md.append(
        f'hpse_bench {prov["hpse_bench"]} (git {prov["git"]}); study config '
        f'`{study_cfg_path}` (sha256 {prov["study_config_sha256"]}); seeds '
        f'{prov["seeds"]}; {prov["environment"].get("device", "")}, torch '
        f'{prov["environment"].get("torch")}, mmengine '
        f'{prov["environment"].get("mmengine")}. Stage fingerprints and '
        'work dirs: `provenance.json`.')
    md.append('')
    md.append('Best in **bold**, second best <u>underlined</u>; mean ± std '
              'over seeds where a cell has several.')
    tables = {}
    for r in res.regressors:
        md += ['', f'## {r}', '', _markdown_table(res, r)]
        tex_path = osp.join(out_dir, f'table_{r}.tex')
        with open(tex_path, 'w') as f:
            f.write(_latex_table(res, r) + '\n')
        tables[r] = tex_path
    curve_paths = plot_curves(res, out_dir)
    md += ['', '## Learning curves', '']
    md += [f'![{osp.basename(p)}]({osp.basename(p)})' for p in curve_paths]
    md += ['', '## Convergence', '', convergence_table(res)]
    cost_md, cost_rows = cost_table(res)
    md += ['', '## Cost', '', cost_md, '',
           'Annotation time uses the paper\'s model: 7 s per person for a '
           'box, 42.8 s for a box and 2D pose.']

    # Study-specific sections (e.g. the second study's generalisation
    # matrix): ``extra_reports = ['report_generalization']`` names modules
    # of hpse_bench.study whose ``write_report(res, out_dir)`` returns
    # Markdown lines.
    import importlib
    for name in cfg.get('extra_reports', []):
        module = importlib.import_module(f'hpse_bench.study.{name}')
        md += [''] + list(module.write_report(res, out_dir))

    md_path = osp.join(out_dir, 'results.md')
    with open(md_path, 'w') as f:
        f.write('\n'.join(md) + '\n')
    csv_path = osp.join(out_dir, 'results.csv')
    with open(csv_path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow([f'# hpse_bench {prov["hpse_bench"]} git '
                         f'{prov["git"]} study sha256 '
                         f'{prov["study_config_sha256"]}'])
        writer.writerows(_csv_rows(res))
    cost_path = osp.join(out_dir, 'cost.csv')
    with open(cost_path, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=list(cost_rows[0].keys())
                                if cost_rows else ['method'])
        writer.writeheader()
        writer.writerows(cost_rows)
    prov_path = osp.join(out_dir, 'provenance.json')
    with open(prov_path, 'w') as f:
        json.dump(prov, f, indent=2, default=str)

    summary = ['', *[_markdown_table(res, r) for r in res.regressors], '',
               f'report: {md_path}', f'tables: {csv_path}, ' +
               ', '.join(tables.values())]
    if curve_paths:
        summary.append('learning curves: ' + ', '.join(curve_paths))
    return dict(summary='\n'.join(summary), markdown=md_path, csv=csv_path,
                provenance=prov_path, curves=','.join(curve_paths))
