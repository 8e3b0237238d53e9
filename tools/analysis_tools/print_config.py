"""Print a config as the tools see it: bases merged, variables resolved,
``--cfg-options`` applied (and refused when the config would ignore them).

    python tools/analysis_tools/print_config.py CONFIG [--cfg-options k=v ...]
        [--out FILE]
"""
import argparse
import os.path as osp
import sys

from mmengine.config import Config, DictAction

import hpse_bench  # noqa: F401  (applies the compatibility patches first)
from hpse_bench.apis.launch import merge_cfg_options


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Print the full config')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs, as for '
        'tools/train.py')
    parser.add_argument(
        '--out', help='also write the resolved config to this .py file')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file not found: {args.config}')
    cfg = Config.fromfile(args.config)
    merge_cfg_options(cfg, args.cfg_options)
    print(f'Config:\n{cfg.pretty_text}')
    if args.out:
        cfg.dump(args.out)
        print(f'written to {args.out}')


if __name__ == '__main__':
    sys.exit(main())
