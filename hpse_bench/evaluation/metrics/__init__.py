from .human_mesh_metric import HumanMeshMetric
from .mupots_metric import MuPoTSMetric

__all__ = ['HumanMeshMetric', 'MuPoTSMetric']
from .multi_dataset_metric import MultiDatasetMetric  # noqa: E402

__all__ += ['MultiDatasetMetric']
