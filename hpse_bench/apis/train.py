"""Train a model from a config: pre-training or fine-tuning.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--no-validate] [--no-persistent-workers] [--auto-scale-lr]
        [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]
    python -m hpse_bench.apis.train CONFIG ...      (the same, installed)

``tools/train.py`` calls :func:`main`; the study runs its stages through
``python -m hpse_bench.apis.train`` so that it needs no repository checkout.
"""
import argparse
import os
import os.path as osp
from typing import List, Optional

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from .launch import (check_device_support, check_inputs, default_work_dir,
                     explain_collective_timeout, merge_cfg_options,
                     prepare_synthetic_data, set_cpu_threads,
                     setup_distributed)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the latest checkpoint '
        'in the work dir when no path is given')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic mixed precision (needs a CUDA GPU)')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--no-persistent-workers',
        action='store_true',
        help='do not keep dataloader workers alive between epochs')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the actual total batch size')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs; lists as '
        'key="[a,b]" or key=a,b; nested lists/tuples need quotes')
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


def merge_args(cfg: Config, args) -> Config:
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = default_work_dir(args.config)

    if args.amp:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper == 'AmpOptimWrapper':
            print('AMP is already enabled in the config.')
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    if args.auto_scale_lr:
        cfg.setdefault('auto_scale_lr', {})['enable'] = True

    if args.no_validate:
        # MMEngine builds a validation loop only when all three are set.
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None

    if args.no_persistent_workers:
        for name in ('train_dataloader', 'val_dataloader',
                     'test_dataloader'):
            if cfg.get(name):
                cfg[name]['persistent_workers'] = False
    return cfg


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file not found: {args.config}')
    cfg = Config.fromfile(args.config)
    merge_cfg_options(cfg, args.cfg_options)
    cfg = merge_args(cfg, args)
    check_device_support(cfg)

    setup_distributed(cfg, args.launcher)
    set_cpu_threads()
    prepare_synthetic_data(cfg)
    check_inputs(cfg)

    with explain_collective_timeout(cfg):
        runner = Runner.from_cfg(cfg)
        runner.train()


if __name__ == '__main__':
    main()
