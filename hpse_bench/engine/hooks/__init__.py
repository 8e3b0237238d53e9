from .replica_consistency_hook import ReplicaConsistencyHook

__all__ = ['ReplicaConsistencyHook']
