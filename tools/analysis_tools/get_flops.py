"""Count the FLOPs and parameters of a config's model (MMEngine's
``get_model_complexity_info``: one multiply-add counts as one FLOP, as in
mmpretrain's and mmpose's tables).

    python tools/analysis_tools/get_flops.py CONFIG [--shape H W]
        [--part backbone|network] [--cfg-options k=v ...] [--arch]

``--part backbone`` (the default) counts the backbone's forward, what the
pre-training methods compare; ``network`` counts the whole network in
MMEngine's ``'tensor'`` mode (backbone, neck and head; no body model,
post-processing or loss).
"""
import argparse
import os.path as osp
import sys

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope

import hpse_bench  # noqa: F401  (applies the compatibility patches first)
from hpse_bench.apis.launch import merge_cfg_options


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Count the FLOPs and parameters of a model')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=[224, 224],
        metavar=('H', 'W'),
        help='input image size (default: 224 224)')
    parser.add_argument(
        '--part',
        choices=['backbone', 'network'],
        default='backbone',
        help='what to count (default: backbone)')
    parser.add_argument(
        '--arch', action='store_true', help='print the per-module table')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, as for tools/train.py')
    return parser.parse_args(argv)


class _TensorForward(torch.nn.Module):
    """``model(inputs, mode='tensor')`` as a plain module for tracing."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor):
        return self.model(inputs, mode='tensor')


def complexity(cfg: Config, shape, part: str = 'backbone') -> dict:
    """FLOPs and parameters of ``cfg.model`` for one ``(3, H, W)`` image.

    Returns:
        MMEngine's result dict: ``flops``, ``flops_str``, ``params``,
        ``params_str``, ``out_table``, ``out_arch``.
    """
    from mmengine.registry import MODELS
    hpse_bench.register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'hpse_bench')):
        model = MODELS.build(cfg.model)
    model.eval()
    module = model.backbone if part == 'backbone' else _TensorForward(model)
    inputs = (torch.zeros(1, 3, *shape), )
    with torch.no_grad():
        return get_model_complexity_info(
            module, inputs=inputs, show_table=True, show_arch=True)


def main(argv=None) -> None:
    args = parse_args(argv)
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file not found: {args.config}')
    cfg = Config.fromfile(args.config)
    merge_cfg_options(cfg, args.cfg_options)
    result = complexity(cfg, tuple(args.shape), args.part)
    if args.arch:
        print(result['out_arch'])
    print(result['out_table'])
    line = '=' * 40
    print(f'{line}\nConfig: {args.config}\nPart: {args.part}\n'
          f'Input shape: (3, {args.shape[0]}, {args.shape[1]})\n'
          f'FLOPs: {result["flops_str"]}\nParams: {result["params_str"]}\n'
          f'{line}')


if __name__ == '__main__':
    sys.exit(main())
