from .human_data_sample import HumanDataSample

__all__ = ['HumanDataSample']
from .densepose_chart_prediction import DensePoseChartPrediction  # noqa: E402,F401,E501
from .densepose_symmetry import DensePoseSymmetry  # noqa: E402,F401
from .densepose_target import DensePoseTarget, PackedDensePoseTargets  # noqa: E402,F401,E501
__all__ += ['DensePoseChartPrediction', 'DensePoseSymmetry', 'DensePoseTarget', 'PackedDensePoseTargets']  # noqa: E501
