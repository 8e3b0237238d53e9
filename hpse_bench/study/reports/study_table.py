"""The study's main table, one per regressor: every initialisation's test
metrics per fine-tuning fraction, its frozen-backbone probes beside them,
and the baseline rows, each cell read against seed noise."""
from typing import List, Optional

from ..spec import fraction_tag
from .results import StudyResults
from .stats import MARK_RULE, paired, summarize
from .tables import Cell, Column, Row, Table, seeds_caption

#: Label headers of the main table.
HEADERS = ['pre-training data', 'initialisation']


def _test_columns(res: StudyResults) -> List[Column]:
    return [
        Column(
            key=f'{col["key"]}@{fraction_tag(f)}',
            title=f'{col.get("name", col["key"])} '
            f'({fraction_tag(f)[:-1]} %)',
            lower_is_better=col.get('lower_is_better', True),
            fields=dict(fraction=f, metric=col['key'], read_out='fine-tune'))
        for f in res.fractions for col in res.columns
    ]


def _probe_columns(res: StudyResults, regressor: str) -> List[Column]:
    if regressor not in res.probe_regressors():
        return []
    return [
        Column(
            key=key,
            title=title,
            lower_is_better=lower,
            fields=dict(fraction='', metric=key, read_out='probe'))
        for key, title, lower in res.probe_columns()
    ]


def _method_row(res: StudyResults, regressor: str, method: str,
                reference: Optional[str], columns: List[Column]) -> Row:
    cells = []
    for col in columns:
        f, key = col.fields['fraction'], col.fields['metric']
        if col.fields['read_out'] == 'probe':
            values = res.probe_values(method, key, regressor)
            ref = (
                res.probe_values(reference, key, regressor)
                if reference else {})
        else:
            values = res.test_values(regressor, method, f, key)
            ref = (
                res.test_values(regressor, reference, f, key)
                if reference else {})
        marker = ''
        if reference and method != reference:
            marker = paired(values, ref, col.lower_is_better).marker
        cells.append(Cell.of(summarize(values), marker))
    return Row('method',
               [res.data(method), res.label(method)], cells,
               dict(regressor=regressor, method=method))


def _baseline_rows(res: StudyResults, regressor: str,
                   columns: List[Column]) -> List[Row]:
    rows = []
    for name, label, values in res.baselines(regressor):
        cells = [
            Cell.constant(values.get(col.fields['metric']))
            if col.fields['read_out'] == 'fine-tune' else Cell()
            for col in columns
        ]
        rows.append(
            Row('baseline', ['baseline', label], cells,
                dict(regressor=regressor, method=f'baseline:{name}')))
    if any(col.fields['read_out'] == 'probe' for col in columns):
        # The probes' chance level: their constant predictor, one per
        # probe run (the same training targets for every backbone).
        cells = []
        for col in columns:
            if col.fields['read_out'] != 'probe':
                cells.append(Cell())
                continue
            chance = [
                v for m in res.methods_of(regressor) for v in res.probe_values(
                    m, col.key, regressor, 'chance').values()
            ]
            stats = summarize(dict(enumerate(chance)))
            # One training set, one constant: a single value unless the
            # runs disagree.
            cells.append(
                Cell.constant(stats.mean) if stats.std ==
                0 else Cell.of(stats))
        rows.append(
            Row('baseline', ['baseline', 'Probe chance (constant)'], cells,
                dict(regressor=regressor, method='baseline:probe_chance')))
    return rows


def _caption(res: StudyResults, table: Table, regressor: str,
             reference: Optional[str]) -> str:
    parts = [
        f'{regressor}: test metrics of each fine-tuned initialisation at '
        'each fraction of the fine-tuning data.',
        seeds_caption(table),
        'Best mean in bold, second underlined (a ranking of means, not a '
        'test).'
    ]
    if reference:
        parts.append(MARK_RULE.format(reference=res.label(reference)))
    if any(r.kind == 'baseline' for r in table.rows):
        parts.append(
            'Baseline rows: constant predictors scored by the same test '
            'evaluator on the same test sets, one deterministic evaluation '
            'each (mean SMPL pose: the untrained regressor; training-set '
            'average pose: the best constant under joint error; oracle pose '
            'with the mean shape: for scale).')
    if any(c.fields['read_out'] == 'probe' for c in table.columns):
        parts.append(
            'Probe columns: closed-form ridge probes on the frozen '
            'pre-trained backbone (no fine-tuning), one per pre-training '
            'seed; their chance level is the probe\'s constant predictor.')
    return ' '.join(p for p in parts if p)


def study_table(res: StudyResults, regressor: str) -> Table:
    """The main table of ``regressor``: a row per initialisation that has
    results (methods the regressor is not paired with, or that have no
    finished stage, are left out), then the baseline rows."""
    columns = _test_columns(res) + _probe_columns(res, regressor)
    reference = res.reference(regressor)
    table = Table(f'table_{regressor}', '', list(HEADERS), columns)
    for method in res.methods_of(regressor):
        if res.has_results(regressor, method):
            table.rows.append(
                _method_row(res, regressor, method, reference, columns))
    table.rows += _baseline_rows(res, regressor, columns)
    table.rank(kinds=('method', ))
    table.caption = _caption(res, table, regressor, reference)
    return table


def is_fine_tune_cell(row: Row, column: Column) -> bool:
    """The cells of ``results.csv``: fine-tuned models' test metrics."""
    return row.kind == 'method' and column.fields.get(
        'read_out') == 'fine-tune'
