"""Baseline rows for the study's tables, scored by the config's own test
evaluator on its own test sets.

    python -m hpse_bench.apis.baselines FINETUNE_CONFIG --work-dir DIR \\
        [--max-test-samples N] [--cfg-options k=v ...]

Writes ``DIR/baselines.json``::

    {"rows": {"mean_smpl_pose": {<metric key>: value, ...},
              "train_mean_pose": {...}, "oracle_pose_mean_shape": {...}},
     "labels": {"mean_smpl_pose": "Mean SMPL pose", ...},
     "notes": {...}, "meta": {...}}

The metric keys are those of the config's ``test_evaluator``; a value is
null where a baseline is undefined (the oracle on a test set without SMPL
labels). See docs/probes.md and :mod:`hpse_bench.probing.baselines`.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

from mmengine.logging import print_log

from hpse_bench.probing import run_baselines
from hpse_bench.utils.fileio import write_json
from .probe import add_common_args, prepared_config


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Constant and oracle baselines of a fine-tune config '
        '(docs/probes.md)')
    add_common_args(parser)
    parser.add_argument(
        '--oracle-betas',
        choices=('zero', 'ground_truth'),
        default='zero',
        help="the oracle's shape: 'zero' (the tables' row) or "
        "'ground_truth' (checks the scoring path)")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        cfg = prepared_config(args.config, args.cfg_options)
        result = run_baselines(
            cfg,
            batch_size=args.batch_size,
            num_workers=args.num_workers,
            max_train_samples=args.max_train_samples,
            max_test_samples=args.max_test_samples,
            betas_source=args.oracle_betas)
    except FileNotFoundError as err:
        print(f'baselines: {err}', file=sys.stderr)
        return 1
    os.makedirs(args.work_dir, exist_ok=True)
    out = osp.join(args.work_dir, 'baselines.json')
    write_json(out, result, allow_nan=False)
    for name, row in result['rows'].items():
        shown = ', '.join(
            f'{k} {v:.2f}' for k, v in row.items()
            if v is not None and k.endswith(('/pa_mpjpe', '/pck_all')))
        print_log(f'{result["labels"][name]}: {shown}', logger='current')
    print_log(f'wrote {out}', logger='current')
    return 0


if __name__ == '__main__':
    sys.exit(main())
