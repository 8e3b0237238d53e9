from .human_mesh_visualization_hook import HumanMeshVisualizationHook
from .replica_consistency_hook import ReplicaConsistencyHook

__all__ = ['HumanMeshVisualizationHook', 'ReplicaConsistencyHook']
