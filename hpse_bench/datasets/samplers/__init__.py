from .mixed_human_sampler import MixedHumanSampler

__all__ = ['MixedHumanSampler']
