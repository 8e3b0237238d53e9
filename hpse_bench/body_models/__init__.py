"""Body models: SMPL through smplx, its files, the embedded SMPL-format one."""
from .embedded import (EMBEDDED_SMPL_FORMAT_VERSION, J_REGRESSOR_EXTRA_NAMES,
                       build_embedded_smpl, make_embedded_smpl)
from .paths import check_smpl_root, get_smpl_root, smpl_model_file
from .smpl import KEYPOINT_CONVENTIONS, SMPL, smpl_keypoints
from .smpl_file import convert_smpl_file, load_smpl_pickle

__all__ = [
    'SMPL', 'smpl_keypoints', 'KEYPOINT_CONVENTIONS', 'get_smpl_root',
    'check_smpl_root', 'smpl_model_file', 'build_embedded_smpl',
    'make_embedded_smpl', 'EMBEDDED_SMPL_FORMAT_VERSION',
    'J_REGRESSOR_EXTRA_NAMES', 'convert_smpl_file', 'load_smpl_pickle'
]
