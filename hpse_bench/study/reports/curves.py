"""Learning curves and convergence of the fine-tuning runs.

Curves: the validation metric (``table.curve_metric``) of each
initialisation against the fine-tuning step (epoch or iteration, as the
runs validated), the mean over seeds with a ± std band, and the
regressor's baselines as horizontal lines.

Convergence (:func:`settling_step`): a run *settles* at the first
validation from which every later validation stays within ±5 % of the
run's final value. A run whose only such validation is its last did not
settle before its end; the table says how many seeds did. (Counting the
first validation *at or below* 105 % of the final value instead calls a
run that was better early and then got worse "converged" at its first
validation.)
"""
import os.path as osp
from typing import List, Optional, Sequence, Tuple

from ..spec import fraction_tag
from . import plots
from .results import StudyResults
from .stats import seed_curve, summarize
from .tables import Cell, Column, Row, Table, seeds_caption

#: Band around the final value that a settled run stays in.
TOLERANCE = 0.05

CONVERGENCE_RULE = (
    f'Settled at: the first validation from which every later validation '
    f'stays within ±{TOLERANCE:.0%} of the run\'s final value; share: that '
    'step over the run\'s last step; "settled early": seeds whose settling '
    'validation comes before their last one.')


def settling_step(curve: Sequence[Sequence[float]],
                  tolerance: float = TOLERANCE) -> Tuple[float, bool]:
    """``(step, early)``: the first validation step from which the curve
    stays within ``tolerance * |final|`` of its final value, and whether
    that is before the last validation.

    Raises:
        ValueError: an empty curve.
    """
    if not curve:
        raise ValueError('an empty validation curve has no settling step')
    final = float(curve[-1][1])
    band = tolerance * abs(final)
    index = len(curve) - 1
    while index > 0 and abs(float(curve[index - 1][1]) - final) <= band:
        index -= 1
    return float(curve[index][0]), index < len(curve) - 1


def _metric_name(res: StudyResults, key: str) -> str:
    name = next((c.get('name', key) for c in res.columns if c['key'] == key),
                key)
    return f'{name} (mm)' if ('mpjpe' in key or 'pve' in key) else name


def _baseline_lines(res: StudyResults,
                    regressor: str) -> List[Tuple[str, Optional[float]]]:
    return [(f'{label} (baseline)', values.get(res.curve_metric))
            for _, label, values in res.baselines(regressor)]


def learning_curve_figure(res: StudyResults, regressor: str, fraction: float):
    """The learning-curve figure of a regressor and fraction, or None when
    no run of it has a curve of ``curve_metric``."""
    key = res.curve_metric
    plt = plots.pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    drawn = False
    for m in res.methods_of(regressor):
        steps, means, stds, n = seed_curve(
            res.curves(regressor, m, fraction, key) if key else {})
        if steps:
            plots.seed_band(ax, steps, means, stds, f'{res.label(m)} (n={n})')
            drawn = True
    if not drawn:
        plt.close(fig)
        return None
    plots.baseline_lines(ax, _baseline_lines(res, regressor))
    ax.set_xlabel(f'fine-tuning {res.curve_unit(regressor)}')
    ax.set_ylabel(_metric_name(res, key))
    ax.set_title(
        f'{regressor}, {fraction_tag(fraction)[:-1]} % of the '
        'fine-tuning data: seed mean ± std',
        fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return fig


def plot_learning_curves(res: StudyResults, out_dir: str) -> List[str]:
    """``curve_<regressor>_<fraction>.png`` per regressor and fraction
    that has curves; returns the paths."""
    paths = []
    for r in res.regressors:
        for f in res.fractions:
            fig = learning_curve_figure(res, r, f)
            if fig is not None:
                paths.append(
                    plots.save(
                        fig,
                        osp.join(out_dir, f'curve_{r}_{fraction_tag(f)}.png')))
    return paths


def convergence_table(res: StudyResults) -> Optional[Table]:
    """Settling step, share of the run and final value per regressor,
    fraction and initialisation (mean ± std over seeds); None without
    curves."""
    key = res.curve_metric
    units = {res.curve_unit(r) for r in res.regressors}
    digits = 0 if units == {'iteration'} else 1
    table = Table('convergence', '', [
        'regressor', 'fine-tuning data', 'initialisation', 'step',
        'settled early'
    ], [
        Column('settled_at', 'settled at', None, digits),
        Column('share', 'share of the run', None, 2),
        Column('final', f'final {key}', None, 2),
    ])
    for r in res.regressors:
        for f in res.fractions:
            for m in res.methods_of(r):
                curves = res.curves(r, m, f, key) if key else {}
                if not curves:
                    continue
                settled = {s: settling_step(c) for s, c in curves.items()}
                last = {s: float(c[-1][0]) for s, c in curves.items()}
                early = sum(1 for _, e in settled.values() if e)
                table.rows.append(
                    Row('method', [
                        r, f'{fraction_tag(f)[:-1]} %',
                        res.label(m),
                        res.curve_unit(r), f'{early}/{len(curves)}'
                    ], [
                        Cell.of(
                            summarize({
                                s: v[0]
                                for s, v in settled.items()
                            })),
                        Cell.of(
                            summarize({
                                s: v[0] / last[s] if last[s] else None
                                for s, v in settled.items()
                            })),
                        Cell.of(
                            summarize({
                                s: c[-1][1]
                                for s, c in curves.items()
                            })),
                    ], dict(regressor=r, method=m, fraction=f)))
    if not table.rows:
        return None
    table.caption = ' '.join(
        p for p in (f'Convergence of the validation {key}.',
                    seeds_caption(table), CONVERGENCE_RULE) if p)
    return table
