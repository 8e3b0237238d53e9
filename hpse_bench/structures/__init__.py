from .human_data_sample import HumanDataSample

__all__ = ['HumanDataSample']
from .densepose_chart_prediction import DensePoseChartPrediction  # noqa
from .densepose_symmetry import DensePoseSymmetry  # noqa: E402
from .densepose_target import (DensePoseTarget,  # noqa: E402
                               PackedDensePoseTargets)
__all__ += [
    'DensePoseChartPrediction', 'DensePoseSymmetry', 'DensePoseTarget',
    'PackedDensePoseTargets'
]
