"""The study report: ``work_root/report/``.

- ``results.md``: every table and figure below, with the rules they follow;
- ``table_<regressor>.{csv,tex}``: the main table of each regressor
  (initialisations with their probes, baseline rows);
- ``results.csv``: every fine-tuned cell (regressor, initialisation,
  fraction, metric: mean, std, n, marker, per-seed values);
- ``pretraining_learned.{csv,tex}``: "Did pre-training learn?";
- ``convergence.{csv,tex}``, ``cost.{csv,tex}``;
- ``curve_<regressor>_<fraction>.png``: learning curves;
- ``provenance.json``: versions, machine, stage fingerprints;
- study-specific sections named by ``extra_reports`` (the second study's
  ``generalization``).
"""
import os
import os.path as osp
from typing import Callable, Dict, List

from mmengine.config import Config

from hpse_bench.utils.fileio import write_json
from ..spec import Stage
from . import generalization
from .cost import cost_table
from .curves import convergence_table, plot_learning_curves
from .learned import learned_table
from .provenance import provenance
from .results import StudyResults
from .study_table import is_fine_tune_cell, study_table
from .tables import Table, to_markdown, write_csv, write_table

#: Study-specific sections a study config may ask for (``extra_reports``):
#: ``write(results, out_dir) -> Markdown lines``. ``report_generalization``
#: is the name older study configs use.
EXTRA_REPORTS: Dict[str, Callable[[StudyResults, str], List[str]]] = {
    'generalization': generalization.write_report,
    'report_generalization': generalization.write_report,
}


def extra_reports(
        cfg: Config) -> List[Callable[[StudyResults, str], List[str]]]:
    """The writers of the config's ``extra_reports``.

    Raises:
        ValueError: an unknown name (the message lists the known ones).
    """
    names = list(cfg.get('extra_reports', []) or [])
    unknown = [n for n in names if n not in EXTRA_REPORTS]
    if unknown:
        raise ValueError(f'extra_reports: unknown {unknown}; known: '
                         f'{sorted(EXTRA_REPORTS)}')
    return [EXTRA_REPORTS[n] for n in names]


def _section(title: str, table: Table, out_dir: str) -> List[str]:
    files = write_table(table, out_dir)
    return [
        '', f'## {title}', '', files['markdown'], '',
        f'(`{osp.basename(files["csv"])}`, `{osp.basename(files["tex"])}`)'
    ]


def _header(cfg: Config, prov: Dict, study_cfg_path: str) -> List[str]:
    env = prov['environment']
    code = prov.get('code_version') or 'see provenance.json'
    return [
        f'# Study: {cfg.get("study_name", osp.basename(study_cfg_path))}', '',
        f'hpse_bench {prov["hpse_bench"]} (code {code}); study config '
        f'`{study_cfg_path}` (sha256 {prov["study_config_sha256"]}); seeds '
        f'{prov["seeds"]}; {env.get("device", "")}, torch '
        f'{env.get("torch")}, mmengine {env.get("mmengine")}. Stage '
        'fingerprints and work dirs: `provenance.json`.'
    ]


def write_reports(cfg: Config, stages: List[Stage], records: Dict[str, dict],
                  study_cfg_path: str) -> Dict[str, str]:
    """Write ``work_root/report/`` from the finished stages' records.

    Returns:
        ``summary`` (the main tables as Markdown, and where the files are)
        and the paths of ``markdown``, ``csv``, ``provenance`` and the
        learning ``curves`` (comma-separated).
    """
    sections = extra_reports(cfg)
    out_dir = osp.join(cfg.work_root, 'report')
    os.makedirs(out_dir, exist_ok=True)
    res = StudyResults(cfg, stages, records)
    prov = provenance(cfg, stages, records, study_cfg_path)

    md = _header(cfg, prov, study_cfg_path)
    # A regressor without a finished run has no table (not an empty one).
    tables = [
        t for t in (study_table(res, r) for r in res.regressors)
        if any(row.kind == 'method' for row in t.rows)
    ]
    for table in tables:
        md += _section(f'Results: {table.name[len("table_"):]}', table,
                       out_dir)
    learned = learned_table(res)
    md += (
        _section('Did pre-training learn?', learned, out_dir) if learned else [
            '', '## Did pre-training learn?', '',
            'No probe stages: `probes = dict(enable=True)` in the study '
            'config adds a frozen-backbone probe per method and seed.'
        ])
    curve_paths = plot_learning_curves(res, out_dir)
    md += [
        '', '## Learning curves', '',
        'Seed mean with a ± std band; dashed and dotted lines: the '
        'baselines, scored on the test sets of the same metric key.', ''
    ]
    md += [f'![{osp.basename(p)}]({osp.basename(p)})' for p in curve_paths]
    convergence = convergence_table(res)
    if convergence:
        md += _section('Convergence', convergence, out_dir)
    md += _section('Cost', cost_table(res), out_dir)
    for write in sections:
        md += [''] + list(write(res, out_dir))

    md_path = osp.join(out_dir, 'results.md')
    with open(md_path, 'w') as f:
        f.write('\n'.join(md) + '\n')
    csv_path = write_csv(
        osp.join(out_dir, 'results.csv'),
        tables,
        keep=is_fine_tune_cell,
        comment=f'hpse_bench {prov["hpse_bench"]} study sha256 '
        f'{prov["study_config_sha256"]}')
    prov_path = osp.join(out_dir, 'provenance.json')
    write_json(prov_path, prov, default=str)

    summary = ['']
    for table in tables:
        summary += [
            f'{table.name[len("table_"):]}:', '',
            table_markdown_only(table), ''
        ]
    summary += [
        f'report: {md_path}', f'tables: {csv_path}, ' +
        ', '.join(osp.join(out_dir, f'{t.name}.tex') for t in tables)
    ]
    if curve_paths:
        summary.append('learning curves: ' + ', '.join(curve_paths))
    return dict(
        summary='\n'.join(summary),
        markdown=md_path,
        csv=csv_path,
        provenance=prov_path,
        curves=','.join(curve_paths))


def table_markdown_only(table: Table) -> str:
    """A table's Markdown without its caption (for the console)."""
    return to_markdown(table).split('\n', 2)[2]
