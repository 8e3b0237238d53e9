"""Ridge probes on the frozen features of an exported backbone; see
:mod:`hpse_bench.apis.probe` and docs/probes.md.

    python tools/analysis_tools/probe_backbone.py FINETUNE_CONFIG \\
        --backbone work_dirs/export/backbone.pth --seed 0 \\
        --work-dir work_dirs/probe [--max-train-samples 1000] \\
        [--cfg-options k=v ...]
"""
import sys

import hpse_bench  # noqa: F401  (applies the compatibility patches first)
from hpse_bench.apis.probe import main

if __name__ == '__main__':
    sys.exit(main())
