"""Train a model from a config; see :mod:`hpse_bench.apis.train`.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--no-validate] [--no-persistent-workers] [--auto-scale-lr]
        [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]
"""
import sys

import hpse_bench  # noqa: F401  (applies the compatibility patches first)
from hpse_bench.apis.train import main

if __name__ == '__main__':
    sys.exit(main())
