"""Run a whole study: pre-train, export, fine-tune, test, report; see
:mod:`hpse_bench.study.cli`.

    python tools/study.py configs/study/demo_synthetic.py
    python tools/study.py configs/study/paper_table3.py --launcher pytorch \
        --gpus 8
    python tools/study.py configs/study/paper_table3.py --launcher slurm \
        --partition gpu --gpus 8

Finished stages are reused; after a crash or a kill, run the same command
again and it resumes where it stopped. ``--report-only`` rebuilds the tables
and plots from the finished stages.
"""
import sys

import hpse_bench  # noqa: F401  (applies the compatibility patches first)
from hpse_bench.study.cli import main

if __name__ == '__main__':
    sys.exit(main())
