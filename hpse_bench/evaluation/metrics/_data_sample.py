"""Reading fields of the data samples that metrics receive."""
from typing import Any, Dict, Optional, Sequence

import numpy as np
from mmengine.structures import BaseDataElement

from ..functional._array import as_float64


def sample_as_dict(sample: Any) -> Dict[str, Any]:
    """A data sample as a flat dict of its data and metainfo fields.

    MMEngine's ``Evaluator`` hands metrics ``BaseDataElement.to_dict()``
    results; a ``HumanDataSample`` passed directly is converted the same way.
    """
    if isinstance(sample, BaseDataElement):
        return sample.to_dict()
    if isinstance(sample, dict):
        return sample
    raise TypeError('a data sample must be a HumanDataSample (or another '
                    f'BaseDataElement) or a dict, got {type(sample).__name__}')


def _where(sample: Dict[str, Any]) -> str:
    for key in ('img_path', 'sample_idx'):
        if key in sample:
            return f' (sample {key}={sample[key]!r})'
    return ''


def describe(sample: Dict[str, Any]) -> str:
    """A short name of a sample for messages: its image and index."""
    parts = [
        f'{key}={sample[key]!r}' for key in ('img_path', 'sample_idx')
        if key in sample
    ]
    return ', '.join(parts) or 'a sample without img_path or sample_idx'


def check_finite(values: np.ndarray, needed: np.ndarray, key: str,
                 samples: Sequence[Dict[str, Any]], owner: str) -> None:
    """Raise if ground truth is nan/inf where a metric reads it.

    Ground truth is data, not a prediction: a non-finite value where it
    counts is a broken annotation file, reported rather than skipped.

    Args:
        values: ``(N, J, D)`` values of ``key``, one row per sample.
        needed: ``(N, J)`` booleans, where the values are read.
        key: the field's name, for the message.
        samples: the samples, for the message.
        owner: the metric's name, for the message.
    """
    bad = needed & ~np.isfinite(values).all(axis=-1)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        names = '; '.join(describe(samples[i]) for i in rows[:5])
        raise ValueError(f'{owner}: "{key}" holds nan/inf at annotated '
                         f'joints of {len(rows)} sample(s) ({names}): the '
                         'annotation is broken')


def get_field(sample: Dict[str, Any],
              key: str,
              shape: Optional[Sequence[Optional[int]]] = None,
              owner: str = 'metric') -> np.ndarray:
    """``sample[key]`` as float64, its shape checked against ``shape``.

    ``None`` in ``shape`` accepts any size on that axis.

    Raises:
        KeyError: the field is missing (the message names it and the sample).
        ValueError: the field has the wrong shape.
    """
    if key not in sample:
        raise KeyError(f'{owner} needs the field "{key}" in every data sample '
                       f'but it is missing{_where(sample)}; present: '
                       f'{sorted(sample)}')
    value = as_float64(sample[key], key)
    if shape is not None and (value.ndim != len(shape)
                              or any(s is not None and s != v
                                     for s, v in zip(shape, value.shape))):
        expected = tuple('*' if s is None else s for s in shape)
        raise ValueError(f'{owner}: "{key}" has shape {value.shape}, expected '
                         f'{expected}{_where(sample)}')
    return value


def get_meta(sample: Dict[str, Any], key: str, owner: str = 'metric') -> Any:
    """A metainfo value that must be present."""
    if key not in sample:
        raise KeyError(f'{owner} needs the metainfo "{key}" in every data '
                       f'sample but it is missing{_where(sample)}')
    value = sample[key]
    if hasattr(value, 'item') and getattr(value, 'ndim', 1) == 0:
        value = value.item()  # 0-d tensors/arrays become hashable scalars
    return value
