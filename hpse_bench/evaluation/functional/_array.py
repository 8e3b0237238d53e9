"""Conversion of metric inputs to float64 NumPy arrays."""
from typing import Any

import numpy as np


def as_float64(x: Any, name: str = 'array') -> np.ndarray:
    """Return ``x`` as a float64 NumPy array.

    Torch tensors are detached and moved to the CPU first, so metrics accept
    model outputs directly; float64 keeps the per-sample SVD and the sums over
    tens of thousands of samples exact to well below a micrometre.

    Args:
        x: a NumPy array, a torch tensor, or anything ``np.asarray`` reads.
        name: what ``x`` is, used in error messages.
    """
    if hasattr(x, 'detach'):  # torch.Tensor without importing torch here
        x = x.detach().cpu().numpy()
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError(f'{name} must be numeric (array or tensor), got '
                        f'{type(x).__name__}: {e}') from e


def as_mask(mask: Any, shape: tuple, name: str = 'mask') -> np.ndarray:
    """Boolean joint mask of ``shape``: ``True`` where confidence > 0.

    ``None`` means every joint is valid. Confidences (floats) and booleans
    are both accepted.
    """
    if mask is None:
        return np.ones(shape, dtype=bool)
    mask = as_float64(mask, name) > 0
    if mask.shape != tuple(shape):
        raise ValueError(f'{name} has shape {mask.shape}, expected '
                         f'{tuple(shape)} (one value per sample and joint)')
    return mask
