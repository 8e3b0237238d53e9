"""Training curves from MMEngine's run logs (``vis_data/scalars.json``).

    # one PNG, one line per run
    python tools/analysis_tools/analyze_logs.py plot_curve \\
        work_dirs/jointcon work_dirs/peclr --keys loss --out loss.png

    # every training run of a study (its pre-training and fine-tuning
    # stages), each line labelled by its run (method/fraction/seed)
    python tools/analysis_tools/analyze_logs.py plot_curve \\
        work_dirs/study/demo_synthetic/finetune --out finetune_loss.png

    # does the loss fall? mean of the first and last windows of each run
    python tools/analysis_tools/analyze_logs.py trend \\
        work_dirs/jointcon work_dirs/peclr --keys loss --window 30 --skip 30

A folder that holds no run itself (no ``<timestamp>/vis_data/
scalars.json``) stands for every training run below it. Lines are labelled
by the runs' paths relative to their common folder
(``jointcon_j/100p/seed0``). ``plot_curve`` smooths each run with a moving
mean whose default window adapts to the run's length (about a tenth of its
logged values, at most 25), so a short run keeps its points.

``trend`` exits with status 1 when a run's last window is not below its
first (``--check``), so it can guard a pipeline sanity run.
"""
import argparse
import glob
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from hpse_bench.study.logs import read_train_loss

#: The auto smoothing window: a tenth of the run's values, at most this.
MAX_AUTO_WINDOW = 25


def _has_runs(path: str) -> bool:
    return bool(glob.glob(osp.join(path, '2*', 'vis_data', 'scalars.json')))


def find_runs(paths: Sequence[str]) -> List[Tuple[str, bool]]:
    """``(work dir, named)`` of every run: a path that holds MMEngine run
    folders is one run (``named=True``); any other folder stands for the
    runs below it (``named=False``), in sorted order.

    Raises:
        SystemExit: a path does not exist or holds no run.
    """
    out = []
    for path in paths:
        if not osp.isdir(path):
            raise SystemExit(f'{path}: no such folder')
        if _has_runs(path):
            out.append((path, True))
            continue
        found = sorted(
            root for root, dirs, _ in os.walk(path)
            if not osp.basename(root).startswith('.') and _has_runs(root))
        if not found:
            raise SystemExit(f'{path}: no MMEngine run below it (no '
                             '<timestamp>/vis_data/scalars.json)')
        out += [(d, False) for d in found]
    return out


def run_labels(work_dirs: Sequence[str]) -> List[str]:
    """Each run's path relative to the runs' common folder (a single run:
    the path as given)."""
    if len(work_dirs) < 2:
        return [osp.normpath(d) for d in work_dirs]
    paths = [osp.abspath(d) for d in work_dirs]
    common = osp.commonpath(paths)
    labels = [osp.relpath(p, common) for p in paths]
    # Two names of one folder would both read '.'.
    return [
        osp.basename(p) if lab == '.' else lab
        for p, lab in zip(paths, labels)
    ]


def _series(work_dir: str,
            key: str,
            required: bool = True) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    pts = read_train_loss(work_dir, key)
    if not pts:
        if not required:
            return None
        raise SystemExit(f'{work_dir}: no "{key}" in any '
                         '<timestamp>/vis_data/scalars.json (is it a '
                         'training work dir?)')
    arr = np.asarray(pts, dtype=np.float64)
    return arr[:, 0], arr[:, 1]


def auto_window(num_values: int) -> int:
    """The default smoothing window of a run with ``num_values`` values."""
    return int(max(1, min(MAX_AUTO_WINDOW, num_values // 10)))


def moving_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over the last ``window`` values (fewer at the start),
    one output per input value."""
    csum = np.concatenate([[0.0], np.cumsum(values, dtype=np.float64)])
    end = np.arange(1, len(values) + 1)
    start = np.maximum(0, end - max(1, window))
    return (csum[end] - csum[start]) / (end - start)


def trend(work_dirs: List[str],
          keys: List[str],
          window: int,
          skip: int = 0) -> List[dict]:
    """First- and last-window means of each key of each run, after the
    first ``skip`` iterations."""
    rows = []
    for work_dir, label in zip(work_dirs, run_labels(work_dirs)):
        for key in keys:
            steps, values = _series(work_dir, key)
            keep = steps > skip
            if keep.sum() < 2:
                raise SystemExit(f'{work_dir}: fewer than 2 "{key}" values '
                                 f'after iteration {skip}')
            steps, values = steps[keep], values[keep]
            w = max(1, min(window, len(values) // 2))
            first, last = values[:w].mean(), values[-w:].mean()
            rows.append(
                dict(
                    run=label,
                    key=key,
                    iters=int(steps[-1]),
                    window=w,
                    first=first,
                    last=last,
                    ratio=last / first if first else float('nan'),
                    falls=bool(last < first)))
    return rows


def print_trend(rows: List[dict]) -> None:
    name_w = max([len('run')] + [len(r['run']) for r in rows])
    print(f'| {"run":<{name_w}} | key | iters | first | last | last/first '
          '| falls |')
    print(f'|{"-" * (name_w + 2)}|-----|------:|------:|-----:|'
          '-----------:|:-----:|')
    for r in rows:
        print(f'| {r["run"]:<{name_w}} | {r["key"]} | {r["iters"]} | '
              f'{r["first"]:.4g} | {r["last"]:.4g} | {r["ratio"]:.3f} | '
              f'{"yes" if r["falls"] else "NO"} |')


def plot_curve(
    runs: List[Tuple[str, bool]],
    keys: List[str],
    out: str,
    smooth: Optional[int] = None,
    legend: Sequence[str] = ()
) -> Dict[str, Dict[str, tuple]]:
    """Draw each key of each run, relative to its first smoothed value (so
    losses on different scales share an axis), into ``out``.

    Args:
        runs: ``(work dir, named)`` from :func:`find_runs`; a run found
            below a folder that lacks a key is left out, a named one is an
            error.
        keys: training scalars to draw, one panel each.
        out: the PNG to write.
        smooth: moving-mean window; None: :func:`auto_window` per run.
        legend: a label per run (default: :func:`run_labels`).

    Returns:
        ``{label: {key: (steps, relative smoothed values)}}`` as drawn.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    work_dirs = [d for d, _ in runs]
    labels = list(legend) or run_labels(work_dirs)
    fig, axes = plt.subplots(
        1, len(keys), figsize=(5 * len(keys), 3.6), squeeze=False)
    drawn: Dict[str, Dict[str, tuple]] = {}
    for (work_dir, named), label in zip(runs, labels):
        for ax, key in zip(axes[0], keys):
            series = _series(work_dir, key, required=named)
            if series is None:
                continue
            steps, values = series
            w = smooth if smooth else auto_window(len(values))
            smoothed = moving_mean(values, w)
            rel = smoothed / smoothed[0] if smoothed[0] else smoothed
            ax.plot(
                steps,
                rel,
                marker='o' if len(steps) < 20 else None,
                ms=3,
                label=f'{label} (window {w})')
            drawn.setdefault(label, {})[key] = (steps, rel)
    for ax, key in zip(axes[0], keys):
        ax.set_title(f'{key} / first value (moving mean)')
        ax.set_xlabel('iteration')
        ax.axhline(1.0, color='grey', lw=0.8, ls='--')
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    print(f'saved {out} ({len(drawn)} runs)')
    return drawn


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    for name in ('plot_curve', 'trend'):
        p = sub.add_parser(name)
        p.add_argument(
            'work_dirs',
            nargs='+',
            help='training work dirs, or folders holding them (a study)')
        p.add_argument('--keys', nargs='+', default=['loss'])
        if name == 'plot_curve':
            p.add_argument('--out', default='loss_curve.png')
            p.add_argument(
                '--smooth',
                type=int,
                default=None,
                help='moving-mean window (default: a tenth of each run\'s '
                f'logged values, at most {MAX_AUTO_WINDOW})')
            p.add_argument('--legend', nargs='+', default=[])
        else:
            p.add_argument('--window', type=int, default=30)
            p.add_argument(
                '--skip',
                type=int,
                default=0,
                help='ignore the first SKIP iterations (e.g. while a '
                'MoCo queue still holds the keys of its random start)')
            p.add_argument(
                '--check',
                action='store_true',
                help='exit 1 when a loss does not fall')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    runs = find_runs(args.work_dirs)
    if args.command == 'plot_curve':
        if args.legend and len(args.legend) != len(runs):
            raise SystemExit(f'--legend needs one name per run ({len(runs)} '
                             'found)')
        plot_curve(runs, args.keys, args.out, args.smooth, args.legend)
        return
    # Runs found below a folder without these keys (e.g. test runs of a
    # study) are not training runs of interest.
    work_dirs = [
        d for d, named in runs
        if named or all(read_train_loss(d, k) for k in args.keys)
    ]
    rows = trend(work_dirs, args.keys, args.window, args.skip)
    print_trend(rows)
    if args.check and not all(r['falls'] for r in rows):
        sys.exit(1)


if __name__ == '__main__':
    main()
