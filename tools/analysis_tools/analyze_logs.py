"""Training curves from MMEngine's run logs (``vis_data/scalars.json``).

    # one PNG, one line per work dir
    python tools/analysis_tools/analyze_logs.py plot_curve \\
        work_dirs/jointcon work_dirs/peclr --keys loss --out loss.png

    # does the loss fall? mean of the first and last windows of each run
    python tools/analysis_tools/analyze_logs.py trend \\
        work_dirs/jointcon work_dirs/peclr --keys loss --window 30 --skip 30

``trend`` exits with status 1 when a run's last window is not below its
first (``--check``), so it can guard a pipeline sanity run.
"""
import argparse
import os.path as osp
import sys
from typing import List, Tuple

import numpy as np

from hpse_bench.study.logs import read_train_loss


def _series(work_dir: str, key: str) -> Tuple[np.ndarray, np.ndarray]:
    pts = read_train_loss(work_dir, key)
    if not pts:
        raise SystemExit(f'{work_dir}: no "{key}" in any '
                         '<timestamp>/vis_data/scalars.json (is it a '
                         'training work dir?)')
    arr = np.asarray(pts, dtype=np.float64)
    return arr[:, 0], arr[:, 1]


def trend(work_dirs: List[str],
          keys: List[str],
          window: int,
          skip: int = 0) -> List[dict]:
    """First- and last-window means of each key of each run, after the
    first ``skip`` iterations."""
    rows = []
    for work_dir in work_dirs:
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
                    run=osp.basename(osp.normpath(work_dir)),
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


def plot_curve(work_dirs: List[str], keys: List[str], out: str,
               smooth: int, legend: List[str]) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1, len(keys), figsize=(5 * len(keys), 3.6), squeeze=False)
    for i, work_dir in enumerate(work_dirs):
        label = legend[i] if legend else osp.basename(osp.normpath(work_dir))
        for ax, key in zip(axes[0], keys):
            steps, values = _series(work_dir, key)
            # Relative to the first window, so methods whose losses live on
            # different scales share one axis.
            w = max(1, min(smooth, len(values)))
            kernel = np.ones(w) / w
            smoothed = np.convolve(values, kernel, mode='valid')
            ax.plot(steps[w - 1:], smoothed / smoothed[0], label=label)
            ax.set_title(f'{key} / first value (moving mean of {w})')
            ax.set_xlabel('iteration')
    for ax in axes[0]:
        ax.axhline(1.0, color='grey', lw=0.8, ls='--')
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f'saved {out}')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    for name in ('plot_curve', 'trend'):
        p = sub.add_parser(name)
        p.add_argument('work_dirs', nargs='+', help='training work dirs')
        p.add_argument('--keys', nargs='+', default=['loss'])
        if name == 'plot_curve':
            p.add_argument('--out', default='loss_curve.png')
            p.add_argument('--smooth', type=int, default=10)
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
    return parser.parse_args()


def main():
    args = parse_args()
    if args.command == 'plot_curve':
        if args.legend and len(args.legend) != len(args.work_dirs):
            raise SystemExit('--legend needs one name per work dir')
        plot_curve(args.work_dirs, args.keys, args.out, args.smooth,
                   args.legend)
        return
    rows = trend(args.work_dirs, args.keys, args.window, args.skip)
    print_trend(rows)
    if args.check and not all(r['falls'] for r in rows):
        sys.exit(1)


if __name__ == '__main__':
    main()
