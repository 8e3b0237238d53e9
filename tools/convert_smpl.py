"""Convert an official SMPL .pkl (chumpy arrays) into a plain-numpy pickle.

Usage::

    python tools/convert_smpl.py basicModel_neutral_lbs_10_207_0_v1.0.0.pkl \
        data/body_models [--gender neutral]

writes ``data/body_models/smpl/SMPL_NEUTRAL.pkl``, which ``smplx`` and
``hpse_bench.body_models.SMPL(smpl_root='data/body_models')`` read
without chumpy. The folder also needs ``J_regressor_h36m.npy``,
``J_regressor_extra.npy`` and ``smpl_mean_params.npz`` (SPIN's data files).

The input is read by an allow-list unpickler
(``hpse_bench/body_models/smpl_file.py``): numpy arrays, scipy sparse
matrices and chumpy arrays only, so a file that names anything else
(``builtins.exec``, ``os.system``) is refused and nothing in it runs. Models
that are not SMPL's size (6890 vertices, 24 joints) are refused too.
"""
import argparse
import os.path as osp
import sys

from hpse_bench.body_models.paths import SMPL_ROOT_FILES
from hpse_bench.body_models.smpl_file import convert_smpl_file


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert an official SMPL .pkl (chumpy) to plain numpy')
    parser.add_argument('in_pkl', help='official SMPL model file')
    parser.add_argument('out_dir', help='smpl_root folder to write into')
    parser.add_argument(
        '--gender',
        choices=['neutral', 'male', 'female'],
        default=None,
        help='model gender (default: inferred from the file name)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        out = convert_smpl_file(args.in_pkl, args.out_dir, args.gender)
    except (ValueError, OSError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    print(f'wrote {out}')
    missing = [
        n for n in SMPL_ROOT_FILES
        if not osp.isfile(osp.join(args.out_dir, n))
    ]
    if missing:
        print(f'note: {args.out_dir} still needs {", ".join(missing)} '
              'before it can serve as smpl_root')
    return 0


if __name__ == '__main__':
    sys.exit(main())
