"""3D percentage of correct keypoints (3DPCK) and its area under the curve.

Both follow the MPI-INF-3DHP / MuPoTS-3D evaluation code
(``mpii_compute_3d_pck.m``, Mehta et al., "Monocular 3D Human Pose
Estimation In The Wild Using Improved CNN Supervision", 3DV 2017): a joint is
correct when its error is strictly below the threshold, the percentage is
pooled over every valid joint of every sample, and the AUC is the mean of
the PCK curve at 0, 5, ..., 150 mm (31 thresholds, 0 included).
"""
from typing import Any, Optional, Sequence

import numpy as np

from ._array import as_float64, as_mask

PCK_THRESHOLD_MM = 150.0
AUC_THRESHOLDS_MM = np.arange(0.0, 151.0, 5.0)  # 0, 5, ..., 150: 31 values


def _valid_errors(errors: Any, mask: Optional[Any]) -> np.ndarray:
    errors = as_float64(errors, 'errors')
    if errors.ndim != 2:
        raise ValueError(f'errors must be (N, J), got {errors.shape}')
    valid = as_mask(mask, errors.shape)
    if not valid.any():
        raise ValueError('no valid joint (every mask entry is 0): the PCK '
                         'is undefined')
    return errors[valid]


def pck_3d(errors: Any,
           mask: Optional[Any] = None,
           threshold: float = PCK_THRESHOLD_MM) -> float:
    """3DPCK in percent: valid joints with ``error < threshold``.

    Args:
        errors: ``(N, J)`` per-joint errors (mm for the default threshold);
            ``inf`` counts as a miss at every threshold.
        mask: ``(N, J)`` confidences or booleans; ``None``: all valid.
        threshold: the distance below which a joint is correct.
    """
    return float(100.0 * np.mean(_valid_errors(errors, mask) < threshold))


def pck_curve(errors: Any,
              mask: Optional[Any] = None,
              thresholds: Sequence[float] = AUC_THRESHOLDS_MM) -> np.ndarray:
    """3DPCK in percent at each of ``thresholds``, ``(T,)``."""
    valid = _valid_errors(errors, mask)
    thresholds = as_float64(thresholds, 'thresholds').reshape(-1)
    # One sort instead of T comparisons over all joints: count(e < t).
    below = np.searchsorted(np.sort(valid), thresholds, side='left')
    return 100.0 * below / valid.size


def auc_3d(errors: Any,
           mask: Optional[Any] = None,
           thresholds: Sequence[float] = AUC_THRESHOLDS_MM) -> float:
    """Area under the 3DPCK curve in percent: the mean of :func:`pck_curve`.

    With the default thresholds this is the mean PCK over 0..150 mm in 5 mm
    steps, as in ``mpii_compute_3d_pck.m``.
    """
    return float(pck_curve(errors, mask, thresholds).mean())
