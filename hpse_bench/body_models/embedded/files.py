"""The embedded model's folder: format version and file names.

Layout (``docs/data_contract.md``)::

    embedded-v<N>/
      smpl/SMPL_NEUTRAL.pkl   plain-numpy pickle with SMPL's keys
      J_regressor_h36m.npy    (17, 6890), conventions.H36M_17 order
      J_regressor_extra.npy   (9, 6890), J_REGRESSOR_EXTRA_NAMES
      smpl_mean_params.npz    pose (144,) 6D, shape (10,), cam (3,), float32
      densepose_uv.npz        face_charts (13776,), face_uv (13776, 3, 2)
      embedded_smpl.json      format version, sizes, builder hash
      SHA256SUMS              checksums of the files above
"""
import os.path as osp
from typing import List

#: Version of the embedded files; bump it when the geometry changes so that
#: caches (``embedded-v<N>``) are rebuilt.
EMBEDDED_SMPL_FORMAT_VERSION = 1
EMBEDDED_SMPL_NAME = f'embedded-v{EMBEDDED_SMPL_FORMAT_VERSION}'

SMPL_PKL = osp.join('smpl', 'SMPL_NEUTRAL.pkl')
J_REGRESSOR_H36M = 'J_regressor_h36m.npy'
J_REGRESSOR_EXTRA = 'J_regressor_extra.npy'
SMPL_MEAN_PARAMS = 'smpl_mean_params.npz'
DENSEPOSE_UV = 'densepose_uv.npz'
METADATA = 'embedded_smpl.json'
CHECKSUMS = 'SHA256SUMS'
#: Files of the embedded folder (listed in ``SHA256SUMS``).
EMBEDDED_FILES = (SMPL_PKL, J_REGRESSOR_H36M, J_REGRESSOR_EXTRA,
                  SMPL_MEAN_PARAMS, DENSEPOSE_UV, METADATA)

#: Rows of ``J_regressor_extra.npy``, in SPIN's order.
J_REGRESSOR_EXTRA_NAMES: List[str] = [
    'right_hip', 'left_hip', 'neck_lsp', 'head_top_lsp', 'pelvis_mpii',
    'thorax_mpii', 'spine_h36m', 'jaw_h36m', 'head_h36m'
]
