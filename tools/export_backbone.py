"""Export the online ResNet backbone of a pre-training checkpoint; see
:mod:`hpse_bench.apis.export_backbone` and docs/export.md.

    python tools/export_backbone.py IN OUT [--source auto] [--method NAME]
        [--prefix PREFIX]
"""
import sys

import hpse_bench  # noqa: F401  (applies the compatibility patches first)
from hpse_bench.apis.export_backbone import main

if __name__ == '__main__':
    sys.exit(main())
