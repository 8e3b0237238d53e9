"""Raw output of a chart-based DensePose head."""
from typing import NamedTuple

from torch import Tensor


class DensePoseChartPrediction(NamedTuple):
    """Dense maps predicted by ``DensePoseHead`` (detectron2's
    ``DensePoseChartPredictorOutput``), all ``(B, C, h, w)`` at the head's
    output resolution.

    Attributes:
        coarse_segm: ``(B, 15, h, w)`` logits of background + 14 coarse parts.
        fine_segm: ``(B, 25, h, w)`` logits of background + 24 charts (I).
        u: ``(B, 25, h, w)`` chart coordinate U per chart.
        v: ``(B, 25, h, w)`` chart coordinate V per chart.
    """
    coarse_segm: Tensor
    fine_segm: Tensor
    u: Tensor
    v: Tensor
