"""Embedded SMPL-format body model: a procedural human in SMPL's file format.

hpse_bench runs end to end without the licensed SMPL files. This package
builds a body model with SMPL's topology sizes (6890 vertices, 13776 faces,
24 joints, 10 shape and 207 pose blend-shape directions) and writes it in the
official layout (see ``docs/data_contract.md``), so the same loader
(``smplx.SMPL``) serves both and every downstream module stays unchanged when
real files replace it.

Construction (Loper et al., "SMPL: A Skinned Multi-Person Linear Model",
SIGGRAPH Asia 2015, Sec. 3 defines the quantities), one module per step:

- :mod:`.skeleton`: the rest-pose joints (T-pose, y up, facing +z, the
  person's left on +x) with SMPL's proportions, the H36M / extra joint
  targets and the mean pose.
- :mod:`.parts`, :mod:`.body`: 15 closed capsule-like parts (torso, neck,
  head, upper/lower arms, hands, upper/lower legs, feet) around the
  skeleton, each a triangulated sphere (``F = 2V - 4``).
- :mod:`.surface`: connected sums join the parts into one closed genus-0
  surface with ``F = 2V - 4`` like SMPL's; nose, eyes, ears and chin.
- :mod:`.landmarks`: the vertex order that puts facial landmarks, toes,
  heels and finger tips at SMPL's vertex ids.
- :mod:`.rig`: ``J_regressor`` (convex combinations of the vertex rings
  around each joint, exact on the rest skeleton) and skinning ``weights``
  (a soft minimum of bone distances).
- :mod:`.blend_shapes`: ``shapedirs`` and ``posedirs``.
- :mod:`.densepose`: ``densepose_uv.npz``, the DensePose chart of every face
  and U, V per face corner (Gueler et al., CVPR 2018).
- :mod:`.builder`: the arrays and the files; :mod:`.files`: their names.

The output is deterministic: the same bytes on every run.
"""
from .builder import (EmbeddedSMPL, build_embedded_smpl, builder_fingerprint,
                      make_embedded_smpl)
from .files import (CHECKSUMS, DENSEPOSE_UV, EMBEDDED_FILES,
                    EMBEDDED_SMPL_FORMAT_VERSION, EMBEDDED_SMPL_NAME,
                    J_REGRESSOR_EXTRA, J_REGRESSOR_EXTRA_NAMES,
                    J_REGRESSOR_H36M, METADATA, SMPL_MEAN_PARAMS, SMPL_PKL)
from .skeleton import mean_pose_rotmats, skeleton_joints

__all__ = [
    'EmbeddedSMPL', 'build_embedded_smpl', 'builder_fingerprint',
    'make_embedded_smpl', 'CHECKSUMS', 'DENSEPOSE_UV', 'EMBEDDED_FILES',
    'EMBEDDED_SMPL_FORMAT_VERSION', 'EMBEDDED_SMPL_NAME', 'J_REGRESSOR_EXTRA',
    'J_REGRESSOR_EXTRA_NAMES', 'J_REGRESSOR_H36M', 'METADATA',
    'SMPL_MEAN_PARAMS', 'SMPL_PKL', 'mean_pose_rotmats', 'skeleton_joints'
]
