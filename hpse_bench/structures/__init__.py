from .human_data_sample import HumanDataSample

__all__ = ['HumanDataSample']
