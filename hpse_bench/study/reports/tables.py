"""One table, three renderings: Markdown, LaTeX and CSV.

A :class:`Table` holds numbers (mean, std, n, marker, rank per cell), not
text; :func:`to_markdown`, :func:`to_latex` and :func:`csv_rows` render
the same cells, so the three files of a table cannot disagree.

Cell text: ``mean ± std`` (``mean`` alone with one value), ``(n=k)`` when
the cell has another number of seeds than the table's usual one (named in
the caption), ▲ / ▼ when a difference to the reference exceeds the seed
noise (:mod:`.stats`), best mean in bold and second underlined.
"""
import csv
import math
import os.path as osp
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

from .stats import Paired, SeedStats

NAN = float('nan')
#: Marker -> (Markdown, LaTeX) symbol.
MARKERS = {
    'better': ('▲', r'$^{\blacktriangle}$'),
    'worse': ('▼', r'$^{\blacktriangledown}$'),
}
_LATEX_ESCAPES = {
    '\\': r'\textbackslash{}',
    '&': r'\&',
    '%': r'\%',
    '$': r'\$',
    '#': r'\#',
    '_': r'\_',
    '{': r'\{',
    '}': r'\}',
    '~': r'\textasciitilde{}',
    '^': r'\textasciicircum{}',
}


def clock(seconds: Optional[float]) -> str:
    """``HH:MM:SS``, hours past a day included (``31:02:05``)."""
    if seconds is None or not math.isfinite(seconds):
        return '-'
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f'{hours:02d}:{minutes:02d}:{secs:02d}'


def number(value: Optional[float],
           digits: int = 2,
           signed: bool = False) -> str:
    """``value`` with ``digits`` decimals; ``-`` for a missing value."""
    if value is None or not math.isfinite(value):
        return '-'
    return f'{value:+.{digits}f}' if signed else f'{value:.{digits}f}'


@dataclass
class Column:
    """A numeric column.

    Args:
        key: identifies the column in the CSV (``column`` field).
        title: the header text.
        lower_is_better: ranks the column (None: not ranked).
        digits: decimals shown.
        fields: extra CSV fields of the column (e.g. fraction, metric).
        fmt: formats the mean and std instead of :func:`number`.
        signed: a difference: shown with its sign.
    """
    key: str
    title: str
    lower_is_better: Optional[bool] = True
    digits: int = 2
    fields: Dict[str, object] = field(default_factory=dict)
    fmt: Optional[Callable[[float], str]] = None
    signed: bool = False


@dataclass
class Cell:
    """Mean ± std over ``n`` values, a noise marker and a rank."""
    mean: float = NAN
    std: Optional[float] = None
    n: int = 0
    marker: str = ''  # 'better' | 'worse' | ''
    rank: str = ''  # 'best' | 'second' | ''
    values: Dict[int, float] = field(default_factory=dict)
    #: Values over seeds (False: one deterministic value, no n shown).
    seeded: bool = True
    #: Text after the number, or instead of it in an empty cell (e.g.
    #: ``'(2/3 reached)'``, ``'not reached'``).
    note: str = ''

    @classmethod
    def of(cls, stats: SeedStats, marker: str = '') -> 'Cell':
        return cls(
            stats.mean, stats.std, stats.n, marker, values=dict(stats.values))

    @classmethod
    def difference(cls, comparison: Paired) -> 'Cell':
        """The paired differences' mean ± std, marked by the rule."""
        return cls(
            comparison.mean,
            comparison.std,
            comparison.n,
            comparison.marker,
            values=dict(comparison.diffs))

    @classmethod
    def constant(cls, value: Optional[float]) -> 'Cell':
        """One deterministic value (a baseline)."""
        if value is None or not math.isfinite(float(value)):
            return cls()
        return cls(
            float(value), None, 1, values={0: float(value)}, seeded=False)

    @property
    def empty(self) -> bool:
        return self.n == 0 or not math.isfinite(self.mean)


@dataclass
class Row:
    """Label texts (one per ``Table.label_headers``) and cells (one per
    column). ``kind`` groups rows (``'method'`` rows are ranked and carry
    seeds; ``'baseline'`` rows are single deterministic values);
    ``fields`` are extra CSV fields (e.g. regressor, method)."""
    kind: str
    labels: List[str]
    cells: List[Cell]
    fields: Dict[str, object] = field(default_factory=dict)


@dataclass
class Table:
    name: str  # file stem of the CSV / LaTeX files
    caption: str
    label_headers: List[str]
    columns: List[Column]
    rows: List[Row] = field(default_factory=list)
    seeded_kinds: Sequence[str] = ('method', )

    def usual_n(self) -> Optional[int]:
        """The most common number of seeds of the seeded cells."""
        counts = Counter(c.n for r in self.rows if r.kind in self.seeded_kinds
                         for c in r.cells if c.seeded and not c.empty)
        return counts.most_common(1)[0][0] if counts else None

    def rank(self, kinds: Sequence[str] = ('method', )) -> None:
        """Mark the best and second best mean of each ranked column among
        the rows of ``kinds`` (equal means share a mark)."""
        for j, col in enumerate(self.columns):
            if col.lower_is_better is None:
                continue
            cells = [r.cells[j] for r in self.rows if r.kind in kinds]
            means = sorted({c.mean
                            for c in cells if not c.empty},
                           reverse=not col.lower_is_better)
            for c in cells:
                if c.empty or not means:
                    continue
                c.rank = ('best' if c.mean == means[0] else 'second'
                          if len(means) > 1 and c.mean == means[1] else '')


def cell_text(cell: Cell, column: Column, show_n: bool) -> str:
    """Plain text of a cell: ``mean ± std`` and ``(n=k)`` when asked,
    then its note."""
    if cell.empty:
        return cell.note or '-'
    fmt = column.fmt or (lambda v: number(v, column.digits, column.signed))
    text = fmt(cell.mean)
    if cell.std is not None:
        std = column.fmt(cell.std) if column.fmt else number(
            cell.std, column.digits)
        text += f' ± {std}'
    if show_n:
        text += f' (n={cell.n})'
    return f'{text} {cell.note}' if cell.note else text


def _show_n(table: Table, row: Row, cell: Cell) -> bool:
    return (cell.seeded and row.kind in table.seeded_kinds
            and cell.n != table.usual_n())


def to_markdown(table: Table) -> str:
    """The caption as a paragraph, then the table."""
    head = table.label_headers + [c.title for c in table.columns]
    lines = [
        table.caption, '', '| ' + ' | '.join(head) + ' |',
        '|' + '---|' * len(head)
    ]
    for row in table.rows:
        texts = list(row.labels)
        for cell, col in zip(row.cells, table.columns):
            text = cell_text(cell, col, _show_n(table, row, cell))
            if cell.rank == 'best':
                text = f'**{text}**'
            elif cell.rank == 'second':
                text = f'<u>{text}</u>'
            if cell.marker:
                text += ' ' + MARKERS[cell.marker][0]
            texts.append(text)
        lines.append('| ' + ' | '.join(texts) + ' |')
    return '\n'.join(lines)


def latex_escape(text: str) -> str:
    out = ''.join(_LATEX_ESCAPES.get(ch, ch) for ch in str(text))
    out = out.replace('±', r'$\pm$').replace('Δ', r'$\Delta$')
    for markdown, latex in MARKERS.values():
        out = out.replace(markdown, latex)
    return out


def to_latex(table: Table) -> str:
    """A ``table`` float (booktabs; the markers need amssymb)."""
    head = [latex_escape(h) for h in table.label_headers
            ] + [latex_escape(c.title) for c in table.columns]
    lines = [
        r'\begin{table}[t]', r'\centering',
        r'\caption{' + latex_escape(table.caption) + '}', r'\begin{tabular}{' +
        'l' * len(table.label_headers) + 'c' * len(table.columns) + '}',
        r'\toprule', ' & '.join(head) + r' \\', r'\midrule'
    ]
    kind = None
    for row in table.rows:
        if kind is not None and row.kind != kind:
            lines.append(r'\midrule')
        kind = row.kind
        texts = [latex_escape(t) for t in row.labels]
        for cell, col in zip(row.cells, table.columns):
            text = latex_escape(
                cell_text(cell, col, _show_n(table, row, cell)))
            if cell.rank == 'best':
                text = r'\textbf{' + text + '}'
            elif cell.rank == 'second':
                text = r'\underline{' + text + '}'
            if cell.marker:
                text += MARKERS[cell.marker][1]
            texts.append(text)
        lines.append(' & '.join(texts) + r' \\')
    lines += [r'\bottomrule', r'\end{tabular}', r'\end{table}']
    return '\n'.join(lines)


def csv_header(tables: Sequence[Table]) -> List[str]:
    """``table, kind, <row fields>, <labels>, <column fields>, column,
    title, mean, std, n, marker, rank, seeds, values, note``."""
    keys: List[str] = []

    def add(names):
        for name in names:
            if name not in keys:
                keys.append(name)

    add(['table', 'kind'])
    for t in tables:
        add(f for r in t.rows for f in r.fields)
    for t in tables:
        add(t.label_headers)
    for t in tables:
        add(f for c in t.columns for f in c.fields)
    add([
        'column', 'title', 'mean', 'std', 'n', 'marker', 'rank', 'seeds',
        'values', 'note'
    ])
    return keys


def csv_rows(
    tables: Sequence[Table],
    keep: Optional[Callable[[Row, Column], bool]] = None
) -> List[Dict[str, object]]:
    """One dict per non-empty cell (full precision: ``repr`` of floats)."""
    out = []
    for t in tables:
        for row in t.rows:
            for cell, col in zip(row.cells, t.columns):
                if (cell.empty and not cell.note) or (keep
                                                      and not keep(row, col)):
                    continue
                rec = dict(table=t.name, kind=row.kind, **row.fields)
                rec.update(zip(t.label_headers, row.labels))
                rec.update(col.fields)
                rec.update(
                    column=col.key,
                    title=col.title,
                    mean='' if cell.empty else repr(float(cell.mean)),
                    std='' if cell.std is None else repr(float(cell.std)),
                    n=cell.n,
                    marker=cell.marker,
                    rank=cell.rank,
                    seeds=';'.join(str(s) for s in cell.values),
                    values=';'.join(
                        repr(float(v)) for v in cell.values.values()),
                    note=cell.note)
                out.append(rec)
    return out


def write_csv(path: str,
              tables: Sequence[Table],
              keep: Optional[Callable[[Row, Column], bool]] = None,
              comment: Optional[str] = None) -> str:
    """Write :func:`csv_rows` of ``tables`` (``comment``: a first line
    starting with ``#``)."""
    with open(path, 'w', newline='') as f:
        if comment:
            f.write(f'# {comment}\n')
        writer = csv.DictWriter(f, fieldnames=csv_header(tables))
        writer.writeheader()
        writer.writerows(csv_rows(tables, keep))
    return path


def write_table(table: Table, out_dir: str) -> Dict[str, str]:
    """``<name>.csv`` and ``<name>.tex`` in ``out_dir``; returns their
    paths and the Markdown text."""
    csv_path = write_csv(osp.join(out_dir, f'{table.name}.csv'), [table])
    tex_path = osp.join(out_dir, f'{table.name}.tex')
    with open(tex_path, 'w') as f:
        f.write(to_latex(table) + '\n')
    return dict(markdown=to_markdown(table), csv=csv_path, tex=tex_path)


def seeds_caption(table: Table) -> str:
    """``n = k seeds per cell ...`` for a caption."""
    n = table.usual_n()
    if n is None:
        return ''
    return (f'Mean ± std over seeds, n = {n} per cell unless a cell says '
            'otherwise.' if n > 1 else
            'One seed per cell (n = 1): no std, and no difference is '
            'marked.')
