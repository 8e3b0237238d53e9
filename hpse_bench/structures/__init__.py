"""The ground floor: data samples, keypoint conventions, cameras, rotations
and DensePose structures. Pure NumPy/PyTorch; nothing here imports a model,
a dataset or another OpenMMLab codebase beyond MMEngine's data elements."""
from .densepose_chart_prediction import DensePoseChartPrediction
from .densepose_symmetry import DensePoseSymmetry
from .densepose_target import DensePoseTarget, PackedDensePoseTargets
from .human_data_sample import HumanDataSample

__all__ = [
    'HumanDataSample', 'DensePoseChartPrediction', 'DensePoseSymmetry',
    'DensePoseTarget', 'PackedDensePoseTargets'
]
