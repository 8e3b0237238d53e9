"""Evaluate a checkpoint on a config's test set; see
:mod:`hpse_bench.apis.test`.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE]
        [--show-dir DIR [--interval N]] [--cfg-options k=v ...]
        [--launcher none|pytorch|slurm|mpi]
"""
import sys

import hpse_bench  # noqa: F401  (applies the compatibility patches first)
from hpse_bench.apis.test import main

if __name__ == '__main__':
    sys.exit(main())
