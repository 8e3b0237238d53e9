"""The second study's figure: MPJPE against total training compute."""
import math
import os.path as osp
from typing import TYPE_CHECKING, Optional

from . import plots
from .stats import mean_std, summarize

if TYPE_CHECKING:
    from .generalization import GeneralizationIndex

#: Line styles by pre-training data (solid, dotted, dash-dotted).
DATA_STYLES = ('-', ':', '-.')


def plot_mpjpe_vs_compute(gi: 'GeneralizationIndex',
                          out_dir: str) -> Optional[str]:
    """One panel per training set with a finished run: each model's
    validation curve (seed mean, ± std band) against its total compute and
    its test result as a star; one colour per backbone depth, dashed for
    3D-only. Returns the PNG's path, or None when nothing was drawn."""
    train_sets = []
    for r, m in gi.cells():
        if gi.finetune_records(r, m) and gi.train_set(r) not in train_sets:
            train_sets.append(gi.train_set(r))
    if not train_sets:
        return None
    plt = plots.pyplot()
    depths = sorted({gi.depth(r) or 0 for r in gi.res.regressors})
    cmap = plt.get_cmap('viridis')
    color = {
        d: cmap(i / max(1,
                        len(depths) - 1) * 0.85)
        for i, d in enumerate(depths)
    }
    pre_data = []
    for m in gi.res.methods:
        if not gi.is_scratch(m) and gi.res.data(m) not in pre_data:
            pre_data.append(gi.res.data(m))
    fig, axes = plt.subplots(
        1,
        len(train_sets),
        figsize=(5.0 * len(train_sets), 4.0),
        squeeze=False)
    for ax, train_set in zip(axes[0], train_sets):
        for r, m in gi.cells():
            if gi.train_set(r) != train_set:
                continue
            depth = gi.depth(r) or 0
            style = '--' if gi.is_scratch(m) else DATA_STYLES[pre_data.index(
                gi.res.data(m)) % len(DATA_STYLES)]
            label = f'R{depth} {gi.label(m)}' if depth else gi.label(m)
            curves = gi.seed_curves(r, m)
            if curves:
                points = gi.curve(r, m)
                stds = []
                for step, _, _ in points:
                    at = [
                        v for c in curves.values() for s, _, v in c
                        if s == step
                    ]
                    stds.append(mean_std(at)[1])
                plots.seed_band(
                    ax, [p[1] for p in points], [p[2] for p in points],
                    stds,
                    label,
                    color=color[depth],
                    linestyle=style)
                label = None
            final = summarize(gi.values(r, m, gi.curve_metric)).mean
            total = summarize(gi.total_hours(r, m)).mean
            if math.isfinite(final) and math.isfinite(total):
                ax.plot([total], [final],
                        marker='*',
                        ms=9,
                        color=color[depth],
                        linestyle='none',
                        label=label)
        ax.set_title(f'3D training: {gi.train_set_name(train_set)}')
        ax.set_xlabel('total training compute (device-hours)')
        ax.set_ylabel(f'{gi.curve_metric} (mm)')
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.suptitle(
        'Validation curves (seed mean ± std) and test result '
        '(star); dashed: 3D-only',
        fontsize=9)
    return plots.save(fig, osp.join(out_dir, 'mpjpe_vs_compute.png'))
