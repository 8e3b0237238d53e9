"""The table of ``benchmarks/gpu_check.sh``: one markdown table from its logs.

Reads, under the check's folder (default ``work_dirs/gpu_check``):

- ``parts.tsv``: one line per part (name, seconds, exit status or
  ``skipped``, time limit, log file or why it was skipped), written by the
  shell script;
- the benchmarks' printed output (``bench_pretrain_contrastive.py``,
  ``bench_pretrain_dense.py``): each step's time and peak memory against its
  peer, and the targets they print;
- the shortened study (``study/``): its ``DONE.json`` records (seconds per
  stage) and each training run's MMEngine log, from which the data-loading
  share of a step is mean ``data_time`` / mean ``time`` (the first logged
  window, with CUDA start-up and cuDNN's first calls, left out).

Prints the table and writes it to ``--out``.

Usage::

    python benchmarks/gpu_check_table.py work_dirs/gpu_check --device NAME
        [--study-setting TEXT] [--bench-setting TEXT] [--budget 480]
        [--total-seconds S] [--out work_dirs/gpu_check/gpu_check.md]
"""
import argparse
import glob
import json
import os.path as osp
import re
import statistics
from typing import Dict, List, Optional

from hpse_bench.study.logs import read_train_loss

NUMBER = r'[-+]?(?:\d+\.?\d*|nan|inf)'
# bench_pretrain_contrastive.py: "  LABEL  ms  MiB" rows, then one line per
# pair "OURS / PEER: time R x (target <= T x: met), peak memory M x".
CONTRASTIVE_ROW = re.compile(rf'^  (\S.*?)\s+({NUMBER})\s+({NUMBER})$')
CONTRASTIVE_PAIR = re.compile(
    rf'^(.+?) / (.+?): time ({NUMBER})x \(target <= ({NUMBER})x: '
    rf'(met|NOT met)\), peak memory ({NUMBER})x$')
# bench_pretrain_dense.py: "  LABEL  median x2D  best x2D  MiB x2D" rows
# (the first one the 2D pose peer), then "target: median time ratio <= T".
DENSE_ROW = re.compile(r'^  (\S.*?)' + rf'\s+({NUMBER})' * 6 + '$')
DENSE_TARGET = re.compile(rf'^target: median time ratio <= ({NUMBER})x')
STAGES = re.compile(r'^study \S*: (\d+) stages')


def read_parts(path: str) -> Dict[str, dict]:
    parts = {}
    if osp.isfile(path):
        with open(path) as f:
            for line in f:
                name, seconds, status, limit, log = line.rstrip('\n').split(
                    '\t')
                parts[name] = dict(
                    seconds=int(seconds),
                    status=status,
                    limit=int(limit),
                    log=log)
    return parts


def read_lines(part: Optional[dict]) -> List[str]:
    if not part or not osp.isfile(part['log']):
        return []
    with open(part['log'], errors='replace') as f:
        return f.read().splitlines()


def outcome(part: Optional[dict]) -> str:
    """'' when the part finished, else why it has no (full) result."""
    if not part:
        return 'not run'
    status = part['status']
    if status == '0':
        return ''
    if status == 'skipped':
        return f'skipped: {part["log"]}'
    if status in ('124', '137'):
        return f'ran past its {part["limit"]} s'
    return f'failed (exit {status}), see {part["log"]}'


def met(ratio: float, target: float) -> str:
    return 'met' if ratio <= target else 'NOT met'


def contrastive_rows(part: Optional[dict], setting: str) -> List[list]:
    lines = read_lines(part)
    steps = {}
    for line in lines:
        m = CONTRASTIVE_ROW.match(line)
        if m:
            steps[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    rows = []
    for line in lines:
        m = CONTRASTIVE_PAIR.match(line)
        if not m:
            continue
        ours, peer = m.group(1), m.group(2)
        ratio, target = float(m.group(3)), float(m.group(4))
        (ms, mib), (peer_ms, peer_mib) = steps[ours], steps[peer]
        rows.append([
            f'{ours} step ({setting})', f'{ms:.1f} ms, {mib:.0f} MiB',
            f'{peer}: {peer_ms:.1f} ms, {peer_mib:.0f} MiB; '
            f'{ratio:.3f}x time, {float(m.group(6)):.3f}x memory',
            f'time <= {target:.2f}x: {m.group(5)}'
        ])
    if not rows:
        why = outcome(part) or 'no result in its output'
        rows.append([f'JointCon, PeCLR steps ({setting})', why, '-', '-'])
    return rows


def dense_rows(part: Optional[dict], setting: str) -> List[list]:
    lines = read_lines(part)
    found = [m.groups() for m in map(DENSE_ROW.match, lines) if m]
    target = [float(m.group(1)) for m in map(DENSE_TARGET.match, lines) if m]
    if len(found) < 2 or not target:
        why = outcome(part) or 'no result in its output'
        return [[
            f'DensePose, part segmentation steps ({setting})', why, '-', '-'
        ]]
    peer = found[0]
    rows = []
    for label, med, ratio, best, best_ratio, mib, mib_ratio in found[1:]:
        rows.append([
            f'{label} step ({setting})',
            f'{float(med):.1f} ms median, {float(best):.1f} ms best, '
            f'{float(mib):.0f} MiB',
            f'{peer[0]}: {float(peer[1]):.1f} ms; {float(ratio):.3f}x '
            f'median, {float(best_ratio):.3f}x best, '
            f'{float(mib_ratio):.3f}x memory',
            f'median <= {target[0]:.2f}x: {met(float(ratio), target[0])}'
        ])
    return rows


def study_row(part: Optional[dict], study_root: str, setting: str) -> list:
    total = [int(m.group(1)) for m in map(STAGES.match, read_lines(part)) if m]
    seconds: Dict[str, List[float]] = {}
    for path in glob.glob(
            osp.join(study_root, '**', 'DONE.json'), recursive=True):
        if '.stale' in path.split(osp.sep):
            continue
        with open(path) as f:
            rec = json.load(f)
        seconds.setdefault(rec['kind'], []).append(float(rec['seconds']))
    done = sum(len(v) for v in seconds.values())
    runs = [
        f'{kind} {len(seconds[kind])} x {statistics.mean(seconds[kind]):.0f} s'
        for kind in ('pretrain', 'finetune') if seconds.get(kind)
    ]
    others = [
        s for k, v in seconds.items() if k not in ('pretrain', 'finetune')
        for s in v
    ]
    if others:
        runs.append(f'{len(others)} other stages {sum(others):.0f} s')
    of = f'/{total[0]}' if total else ''
    wall = f' in {part["seconds"]} s' if part else ''
    value = f'{done}{of} stages done{wall}'
    if runs:
        value += f' ({", ".join(runs)})'
    why = outcome(part)
    if why:
        value += f'; {why}'
    limit = f' within {part["limit"]} s' if part and part['limit'] else ''
    ok = bool(part and not why and total and done == total[0])
    return [
        f'study demo_synthetic, profile cuda ({setting})', value, '-',
        f'all stages done{limit}: {"met" if ok else "NOT met"}'
    ]


def data_share(work_dir: str) -> Optional[tuple]:
    """(mean data_time, mean time, windows) of a training run's log, the
    first logged window left out when there are more."""
    data = [v for _, v in read_train_loss(work_dir, 'data_time')]
    step = [v for _, v in read_train_loss(work_dir, 'time')]
    if not data or len(data) != len(step):
        return None
    if len(data) > 1:
        data, step = data[1:], step[1:]
    return statistics.mean(data), statistics.mean(step), len(data)


def share_rows(study_root: str) -> List[list]:
    note = 'none (reported)'
    rows = []
    for work_dir in sorted(
            glob.glob(osp.join(study_root, 'pretrain', '*', 'seed*'))):
        method = work_dir.split(osp.sep)[-2]
        share = data_share(work_dir)
        if share is None:
            rows.append([
                f'data share of a step, pre-training {method}',
                'no training log', '-', note
            ])
            continue
        data, step, windows = share
        rows.append([
            f'data share of a step, pre-training {method}',
            f'{100 * data / step:.0f} %',
            f'data {1e3 * data:.1f} ms / step {1e3 * step:.1f} ms '
            f'({windows} logged window{"s" if windows > 1 else ""})', note
        ])
    finetunes = [(d, data_share(d)) for d in sorted(
        glob.glob(osp.join(study_root, 'finetune', '*', '*', '*', 'seed*')))]
    finetunes = [(d, s) for d, s in finetunes if s is not None]
    if finetunes:
        shares = [s[0] / s[1] for _, s in finetunes]
        data = statistics.mean(s[0] for _, s in finetunes)
        step = statistics.mean(s[1] for _, s in finetunes)
        rows.append([
            f'data share of a step, fine-tuning ({len(finetunes)} runs)',
            f'{100 * data / step:.0f} % ({100 * min(shares):.0f}-'
            f'{100 * max(shares):.0f} % per run)',
            f'data {1e3 * data:.1f} ms / step {1e3 * step:.1f} ms '
            '(means over runs)', note
        ])
    if not rows:
        rows.append([
            'data share of a step (study runs)', 'no training log', '-', note
        ])
    return rows


def total_row(parts: Dict[str, dict], total: Optional[int],
              budget: int) -> list:
    each = ', '.join(f'{name} {p["seconds"]} s' for name, p in parts.items())
    if total is None:
        total = sum(p['seconds'] for p in parts.values())
    return [
        'wall time of the check', f'{total} s', each or '-',
        f'<= {budget} s: {met(total, budget)}'
    ]


def markdown(rows: List[list]) -> str:
    lines = ['| what | value | peer / ratio | target |', '|---|---|---|---|']
    lines += ['| ' + ' | '.join(cells) + ' |' for cells in rows]
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='the check\'s folder (gpu_check.sh)')
    parser.add_argument('--device', required=True, help='what ran it')
    parser.add_argument('--study-setting', default='shortened')
    parser.add_argument('--bench-setting', default='ResNet-50')
    parser.add_argument('--budget', type=int, default=480)
    parser.add_argument(
        '--total-seconds', type=int, help='default: the parts\' sum')
    parser.add_argument('--out', help='default: ROOT/gpu_check.md')
    args = parser.parse_args()

    parts = read_parts(osp.join(args.root, 'parts.tsv'))
    study_root = osp.join(args.root, 'study')
    rows = [study_row(parts.get('study'), study_root, args.study_setting)]
    rows += contrastive_rows(parts.get('contrastive'), args.bench_setting)
    rows += dense_rows(parts.get('dense'), args.bench_setting)
    rows += share_rows(study_root)
    rows.append(total_row(parts, args.total_seconds, args.budget))
    text = f'GPU check on {args.device}\n\n{markdown(rows)}\n'
    out = args.out or osp.join(args.root, 'gpu_check.md')
    with open(out, 'w') as f:
        f.write(text)
    print(text, end='')


if __name__ == '__main__':
    main()
