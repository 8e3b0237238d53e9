"""``python -m hpse_bench.study CONFIG ...``: see :mod:`.cli`."""
import sys

from .cli import main

sys.exit(main())
