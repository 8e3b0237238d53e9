"""Evaluate a checkpoint on the test set of a config.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE]
        [--show-dir DIR [--interval N]] [--cfg-options k=v ...]
        [--launcher none|pytorch|slurm|mpi]

    python -m hpse_bench.apis.test CONFIG CHECKPOINT ...   (the same, installed)

CHECKPOINT may be ``none`` to evaluate the config's initial weights (e.g. a
randomly initialised model, the study's "no pre-training" baseline).
"""
import argparse
import os
import os.path as osp
from typing import List, Optional

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from .launch import (check_inputs, default_work_dir,
                     explain_collective_timeout, merge_cfg_options,
                     prepare_synthetic_data, set_cpu_threads,
                     setup_distributed)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file, or "none"')
    parser.add_argument('--work-dir', help='the dir to save logs and results')
    parser.add_argument(
        '--out',
        help='dump the evaluated metrics and predictions to this pickle file')
    parser.add_argument(
        '--show-dir',
        help='write overlays of the predictions to this folder (relative: '
        'under <work_dir>/<timestamp>/)')
    parser.add_argument(
        '--interval',
        type=int,
        default=1,
        help='with --show-dir, draw every this many batches')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def enable_visualization(cfg: Config, show_dir: str,
                         interval: int = 1) -> None:
    """Turn on ``HumanMeshVisualizationHook`` writing to ``show_dir``, with
    a ``HumanMeshVisualizer`` unless the config names another visualiser
    (mmpose's ``--show-dir``)."""
    hooks = cfg.get('default_hooks') or {}
    hook = dict(hooks.get('visualization') or {})
    hook.setdefault('type', 'hpse_bench.HumanMeshVisualizationHook')
    hook.update(enable=True, out_dir=show_dir, interval=interval)
    hooks['visualization'] = hook
    cfg.default_hooks = hooks
    visualizer = dict(cfg.get('visualizer') or {})
    if visualizer.get('type', 'Visualizer') in ('Visualizer',
                                                'mmengine.Visualizer'):
        visualizer['type'] = 'hpse_bench.HumanMeshVisualizer'
    cfg.visualizer = visualizer


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file not found: {args.config}')
    cfg = Config.fromfile(args.config)
    merge_cfg_options(cfg, args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = default_work_dir(args.config)

    if args.checkpoint.lower() == 'none':
        cfg.load_from = None
    else:
        if not osp.isfile(args.checkpoint):
            raise FileNotFoundError(
                f'checkpoint not found: {args.checkpoint} '
                f'(looked in {osp.abspath(args.checkpoint)})')
        cfg.load_from = args.checkpoint
    cfg.resume = False

    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError('--out must be a .pkl file')
        cfg.test_evaluator = (
            list(cfg.test_evaluator) if isinstance(cfg.test_evaluator,
                                                   (list, tuple)) else
            [cfg.test_evaluator])
        cfg.test_evaluator.append(
            dict(type='DumpResults', out_file_path=args.out))

    if args.show_dir is not None:
        enable_visualization(cfg, args.show_dir, args.interval)

    setup_distributed(cfg, args.launcher)
    set_cpu_threads()
    prepare_synthetic_data(cfg)
    check_inputs(cfg)

    with explain_collective_timeout(cfg):
        runner = Runner.from_cfg(cfg)
        runner.test()


if __name__ == '__main__':
    main()
