"""Linear probes on the frozen features of a (pre-trained) backbone.

    python -m hpse_bench.apis.probe FINETUNE_CONFIG --backbone FILE|none \\
        --seed K --work-dir DIR [--max-train-samples N] \\
        [--max-test-samples N] [--cfg-options k=v ...]
    python tools/analysis_tools/probe_backbone.py ...   (the same)

Builds the config's ``model.backbone``, loads the exported file strictly
(``none``: the random initialisation the fine-tune would start from, seeded
with ``--seed``), reads the config's 3D training set and test sets through
its test pipeline, fits closed-form ridge probes (penalty by k-fold CV) for
3D joints, 2D keypoints and the facing direction, and writes
``DIR/probe.json``::

    {"metrics": {"probe/3d_pa_mpjpe": .., "probe/2d_pck": ..,
                 "probe/facing_acc": .., "probe/<test set>/<metric>": ..},
     "chance": {the same keys: the constant predictor's values},
     "meta": {backbone file and sha256, seed, sizes, penalties, timings}}

See docs/probes.md.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.registry import init_default_scope

from hpse_bench.checkpoint import CheckpointMismatchError, CheckpointReadError
from hpse_bench.probing import DEFAULT_FOLDS, run_probe
from hpse_bench.utils.fileio import write_json
from hpse_bench.utils.setup_env import register_all_modules
from .launch import check_inputs, prepare_synthetic_data


def prepared_config(config: str, cfg_options: Optional[dict]) -> Config:
    """Read ``config``, apply ``cfg_options``, create the embedded
    synthetic data it names and check that its input files exist, as
    ``tools/test.py`` does before a run."""
    if not osp.isfile(config):
        raise FileNotFoundError(f'config file not found: {config}')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'hpse_bench'))
    prepare_synthetic_data(cfg)
    check_inputs(cfg)
    return cfg


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Arguments shared by the read-outs of a fine-tune config."""
    parser.add_argument('config', help='fine-tune config file path')
    parser.add_argument(
        '--work-dir', required=True, help='folder for the JSON result')
    parser.add_argument(
        '--max-train-samples',
        type=int,
        default=None,
        help='cap on the 3D training rows used (evenly spaced)')
    parser.add_argument(
        '--max-test-samples',
        type=int,
        default=None,
        help='cap per test set (evenly spaced); default: all')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument(
        '--num-workers',
        type=int,
        default=0,
        help='data loading processes (0: in the main process)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Ridge probes on frozen backbone features '
        '(docs/probes.md)')
    add_common_args(parser)
    parser.add_argument(
        '--backbone',
        required=True,
        help='exported backbone file (tools/export_backbone.py), or "none" '
        'for the random initialisation')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of a random backbone')
    parser.add_argument(
        '--folds', type=int, default=DEFAULT_FOLDS, help='CV folds')
    parser.add_argument(
        '--headline',
        default='h36m',
        help='test set reported under probe/<metric> (default h36m)')
    parser.set_defaults(max_train_samples=1000)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    checkpoint = None if args.backbone.lower() == 'none' else args.backbone
    try:
        cfg = prepared_config(args.config, args.cfg_options)
        result = run_probe(
            cfg,
            checkpoint,
            seed=args.seed,
            max_train_samples=args.max_train_samples,
            max_test_samples=args.max_test_samples,
            headline=args.headline,
            batch_size=args.batch_size,
            num_workers=args.num_workers,
            num_folds=args.folds)
    except (FileNotFoundError, CheckpointMismatchError,
            CheckpointReadError) as err:
        print(f'probe: {err}', file=sys.stderr)
        return 1
    os.makedirs(args.work_dir, exist_ok=True)
    out = osp.join(args.work_dir, 'probe.json')
    write_json(out, result, allow_nan=False)
    summary = ', '.join(
        f'{k} {v:.2f} (chance {result["chance"][k]:.2f})'
        if v is not None and result['chance'][k] is not None else f'{k} -'
        for k, v in result['metrics'].items() if k.count('/') == 1)
    print_log(f'{summary}; wrote {out}', logger='current')
    return 0


if __name__ == '__main__':
    sys.exit(main())
