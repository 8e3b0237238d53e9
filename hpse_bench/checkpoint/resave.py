"""Convert a trusted checkpoint once into a file that loads weights-only.

hpse_bench loads every checkpoint with ``torch.load(weights_only=True)`` and
the few types MMEngine's own checkpoints need (``utils/compat.py``), so a
file that pickles other objects (an ``argparse.Namespace`` of a training
script, a custom class) is refused. If the file comes from a source you
trust, this tool unpickles it fully, once, and writes what can be kept
without code: tensors and plain Python values (numbers, strings, lists,
tuples, dicts), with numpy scalars and arrays as Python numbers and tensors.
Everything else is dropped and listed::

    python -m hpse_bench.checkpoint.resave TRUSTED.pth TRUSTED_weights.pth

Never run it on a file you do not trust: reading it runs whatever it holds.
"""
import argparse
import os
import sys
from collections import OrderedDict
from typing import Any, List, Optional, Tuple

import numpy as np
import torch

from hpse_bench.utils.fileio import atomic_write

_PLAIN = (str, int, float, bool, type(None), bytes)


def _keep(value: Any, where: str, dropped: List[str]) -> Tuple[bool, Any]:
    """``(kept, value)``: the value as tensors and plain values only."""
    if isinstance(value, torch.Tensor):
        return True, value
    if isinstance(value, _PLAIN) or isinstance(value, torch.dtype):
        return True, value
    if isinstance(value, np.generic):
        return True, value.item()
    if isinstance(value, np.ndarray) and value.dtype != object:
        return True, torch.from_numpy(value.copy())
    if isinstance(value, dict):
        out = OrderedDict() if isinstance(value, OrderedDict) else {}
        for key, item in value.items():
            if not isinstance(key, (str, int)):
                dropped.append(f'{where}[{key!r}]')
                continue
            kept, item = _keep(item, f'{where}.{key}' if where else str(key),
                               dropped)
            if kept:
                out[key] = item
        return True, out
    if isinstance(value, (list, tuple)):
        items = []
        for i, item in enumerate(value):
            kept, item = _keep(item, f'{where}[{i}]', dropped)
            if not kept:
                return False, None
            items.append(item)
        return True, tuple(items) if isinstance(value, tuple) else items
    dropped.append(f'{where} ({type(value).__module__}.'
                   f'{type(value).__qualname__})')
    return False, None


def resave_weights(src: str, dst: str) -> List[str]:
    """Load a trusted ``src`` fully and write its tensors and plain values
    to ``dst`` (atomically), checked to load with ``weights_only=True``.

    Returns:
        What was dropped, as ``key (type)``.
    """
    if os.path.abspath(src) == os.path.abspath(dst):
        raise ValueError(f'{dst}: the output would overwrite the input')
    # The one deliberate full unpickling: the user vouches for the file.
    checkpoint = torch.load(src, map_location='cpu', weights_only=False)
    dropped: List[str] = []
    kept, plain = _keep(checkpoint, '', dropped)
    if not kept:
        raise ValueError(f'{src}: holds a {type(checkpoint).__name__}, '
                         'nothing to keep as weights')
    with atomic_write(dst, 'wb') as f:
        torch.save(plain, f)
        f.flush()
        torch.load(f.name, map_location='cpu', weights_only=True)
    return dropped


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description='Re-save a TRUSTED checkpoint with tensors and plain '
        'values only, so that it loads with torch.load(weights_only=True). '
        'Reading the input runs whatever it holds: never use it on a file '
        'you do not trust.')
    parser.add_argument('input', help='trusted checkpoint')
    parser.add_argument('output', help='file to write')
    args = parser.parse_args(argv)
    try:
        dropped = resave_weights(args.input, args.output)
    except (OSError, ValueError, RuntimeError) as err:
        print(f'resave: {err}', file=sys.stderr)
        return 1
    for item in dropped:
        print(f'dropped: {item}')
    print(f'wrote {args.output}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
