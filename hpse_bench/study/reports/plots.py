"""Drawing helpers shared by the study's figures: a seed-mean curve with
its ± std band, baselines as horizontal lines, and saving a figure."""
import math
from typing import Optional, Sequence, Tuple


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend (studies run on
    machines without a display)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def seed_band(ax,
              steps: Sequence[float],
              means: Sequence[float],
              stds: Sequence[Optional[float]],
              label: str,
              color=None,
              linestyle: str = '-'):
    """The seed mean as a line with markers and, where there are several
    seeds, a ± std band in the same colour. Returns the line."""
    (line, ) = ax.plot(
        steps,
        means,
        marker='o',
        ms=3,
        color=color,
        linestyle=linestyle,
        label=label)
    if any(s is not None for s in stds):
        lo = [m - (s or 0.0) for m, s in zip(means, stds)]
        hi = [m + (s or 0.0) for m, s in zip(means, stds)]
        ax.fill_between(
            steps, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
    return line


#: Line styles of the baselines, in order.
BASELINE_STYLES = ('--', ':', '-.')


def baseline_lines(ax, lines: Sequence[Tuple[str, Optional[float]]]) -> int:
    """Horizontal lines at the baselines' values (finite ones), labelled;
    returns how many were drawn."""
    drawn = 0
    for i, (label, value) in enumerate(lines):
        if value is None or not math.isfinite(value):
            continue
        ax.axhline(
            value,
            color='0.35',
            linewidth=1.0,
            linestyle=BASELINE_STYLES[i % len(BASELINE_STYLES)],
            label=label)
        drawn += 1
    return drawn


def save(fig, path: str, dpi: int = 120) -> str:
    """Lay out, write and close ``fig``."""
    plt = pyplot()
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
