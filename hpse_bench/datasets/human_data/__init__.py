"""mmhuman3d's HumanData ``.npz`` format: the reader the datasets use and
the writer of the synthetic generator and the converters."""
from .reader import HumanDataFile
from .writer import (HUMAN_DATA_WRITE_ORDER, human_data_keypoints,
                     write_human_data)

__all__ = [
    'HumanDataFile', 'human_data_keypoints', 'write_human_data',
    'HUMAN_DATA_WRITE_ORDER'
]
