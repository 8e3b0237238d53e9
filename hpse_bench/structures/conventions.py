"""Joint and body-part conventions: the one place they are defined.

Every module that names a joint, maps between keypoint sets, flips left and
right, or names a DensePose part imports it from here.

Conventions:

- ``SMPL_24``: the 24 joints of SMPL's kinematic tree (``SMPL_PARENTS``).
- ``COCO_17``: COCO person keypoints. From a body model, the body joints are
  SMPL joints and the face points are SMPL vertices (``SMPL_FACE_VERTEX_IDS``,
  the ids smplx uses); the embedded body model puts its facial landmarks at
  the same vertex ids, so one mapping serves both.
- ``H36M_17``: the order of SPIN's ``J_regressor_h36m.npy`` and of
  mmhuman3d's ``'h36m'`` convention (left leg before right).
- ``LSP_14``: the 14 evaluation joints of 3DPW / Human3.6M protocol 2 and of
  MuPoTS-3D, taken from ``H36M_17`` by ``H36M_TO_LSP14``.
- ``MPI_17``: the 17 joints of the MPI-INF-3DHP / MuPoTS-3D evaluation code
  (``mpii_get_joints('relevant')``: the 14 scored joints, then pelvis, spine
  and head), with that code's kinematic tree ``MPI17_PARENTS`` (its
  ``joint_parents_o1``, rooted at the pelvis), taken from ``H36M_17`` by
  ``H36M_TO_MPI17``.
- ``HUMAN_DATA``: mmhuman3d's 190-keypoint ``'human_data'`` layout of
  HumanData ``.npz`` files; ``HUMAN_DATA_INDEX`` gives the index of each
  joint name hpse_bench reads or writes.
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np

SMPL_24: List[str] = [
    'pelvis', 'left_hip', 'right_hip', 'spine_1', 'left_knee', 'right_knee',
    'spine_2', 'left_ankle', 'right_ankle', 'spine_3', 'left_foot',
    'right_foot', 'neck', 'left_collar', 'right_collar', 'head',
    'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
    'left_wrist', 'right_wrist', 'left_hand', 'right_hand'
]
SMPL_PARENTS: List[int] = [
    -1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19,
    20, 21
]
NUM_SMPL_JOINTS = 24
NUM_SMPL_VERTICES = 6890
NUM_SMPL_FACES = 13776
NUM_BETAS = 10

COCO_17: List[str] = [
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear',
    'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
    'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee',
    'right_knee', 'left_ankle', 'right_ankle'
]
# COCO's skeleton for drawing, 0-based.
COCO_SKELETON: List[Tuple[int, int]] = [
    (15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12),
    (5, 6), (5, 7), (6, 8), (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3),
    (2, 4), (3, 5), (4, 6)
]
# COCO face keypoints as SMPL vertex ids (the ids smplx uses for SMPL-H).
SMPL_FACE_VERTEX_IDS: Dict[str, int] = {
    'nose': 332,
    'right_eye': 6260,
    'left_eye': 2800,
    'right_ear': 4071,
    'left_ear': 583,
}

H36M_17: List[str] = [
    'pelvis', 'left_hip', 'left_knee', 'left_ankle', 'right_hip',
    'right_knee', 'right_ankle', 'spine', 'thorax', 'head', 'head_top',
    'left_shoulder', 'left_elbow', 'left_wrist', 'right_shoulder',
    'right_elbow', 'right_wrist'
]
H36M_PARENTS: List[int] = [
    -1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15
]

LSP_14: List[str] = [
    'right_ankle', 'right_knee', 'right_hip', 'left_hip', 'left_knee',
    'left_ankle', 'right_wrist', 'right_elbow', 'right_shoulder',
    'left_shoulder', 'left_elbow', 'left_wrist', 'neck', 'head_top'
]
H36M_TO_LSP14: List[int] = [6, 5, 4, 1, 2, 3, 16, 15, 14, 11, 12, 13, 8, 10]
# Evaluation is pelvis-aligned; on LSP-14 the pelvis is the mid-hip.
LSP14_HIP_IDS: Tuple[int, int] = (2, 3)
H36M_PELVIS_ID = 0
# A tree over LSP-14 rooted at the neck, for drawing skeletons and LSP's
# limb pairs. It is not the MuPoTS-3D rescaling tree: the official protocol
# rescales along MPI17_PARENTS from the pelvis (evaluation/functional/mupots).
LSP14_PARENTS: List[int] = [1, 2, 12, 12, 3, 4, 7, 8, 12, 12, 9, 10, -1, 12]

# The joint order of the MPI-INF-3DHP / MuPoTS-3D evaluation scripts; the
# first 14 are the scored joints. Its 'neck' is H36M's thorax.
MPI_17: List[str] = [
    'head_top', 'neck', 'right_shoulder', 'right_elbow', 'right_wrist',
    'left_shoulder', 'left_elbow', 'left_wrist', 'right_hip', 'right_knee',
    'right_ankle', 'left_hip', 'left_knee', 'left_ankle', 'pelvis', 'spine',
    'head'
]
# The official joint_parents_o1 (1-based there), rooted at the pelvis:
# pelvis -> spine -> neck -> shoulders, head top and head; pelvis -> hips.
MPI17_PARENTS: List[int] = [
    1, 15, 1, 2, 3, 1, 5, 6, 14, 8, 9, 14, 11, 12, -1, 14, 1
]
MPI17_PELVIS_ID = 14
H36M_TO_MPI17: List[int] = [
    10, 8, 14, 15, 16, 11, 12, 13, 4, 5, 6, 1, 2, 3, 0, 7, 9
]

# Position of each mmhuman3d 'human_data' keypoint that hpse_bench uses.
NUM_HUMAN_DATA_KEYPOINTS = 190
HUMAN_DATA_INDEX: Dict[str, int] = {
    # SMPL joints come first, in SMPL order (hands are at 188/189).
    **{name: i for i, name in enumerate(SMPL_24[:22])},
    'left_hand': 188,
    'right_hand': 189,
    'nose': 55,
    'right_eye': 56,
    'left_eye': 57,
    'right_ear': 58,
    'left_ear': 59,
    # SPIN's J_regressor_extra joints and the H36M-specific ones.
    'right_hip_extra': 144,
    'left_hip_extra': 145,
    'neck_extra': 146,
    'headtop': 147,
    'pelvis_extra': 148,
    'thorax_extra': 149,
    'spine_extra': 150,
    'jaw_extra': 151,
    'head_extra': 152,
}
# Names, in each convention's order, of the human_data slots to read/write.
HUMAN_DATA_NAMES: Dict[str, List[str]] = {
    'smpl_24': SMPL_24,
    'coco_17': COCO_17,
    # mmhuman3d's 'h36m' convention names.
    'h36m_17': [
        'pelvis_extra', 'left_hip_extra', 'left_knee', 'left_ankle',
        'right_hip_extra', 'right_knee', 'right_ankle', 'spine_extra',
        'neck_extra', 'head_extra', 'headtop', 'left_shoulder', 'left_elbow',
        'left_wrist', 'right_shoulder', 'right_elbow', 'right_wrist'
    ],
}

CONVENTIONS: Dict[str, List[str]] = {
    'smpl_24': SMPL_24,
    'coco_17': COCO_17,
    'h36m_17': H36M_17,
    'lsp_14': LSP_14,
}


def human_data_indices(convention: str) -> np.ndarray:
    """Indices into a 190-keypoint HumanData array for ``convention``."""
    if convention not in HUMAN_DATA_NAMES:
        raise KeyError(f'no human_data mapping for "{convention}"; known: '
                       f'{sorted(HUMAN_DATA_NAMES)}')
    return np.array(
        [HUMAN_DATA_INDEX[n] for n in HUMAN_DATA_NAMES[convention]],
        dtype=np.int64)


def flip_indices(names: Sequence[str]) -> List[int]:
    """Index permutation that swaps every left_X with right_X."""
    index = {n: i for i, n in enumerate(names)}
    out = []
    for n in names:
        if n.startswith('left_'):
            out.append(index['right_' + n[5:]])
        elif n.startswith('right_'):
            out.append(index['left_' + n[6:]])
        else:
            out.append(index[n])
    return out


FLIP_INDICES: Dict[str, List[int]] = {
    name: flip_indices(joints)
    for name, joints in CONVENTIONS.items()
}


def flip_smpl_pose(pose: np.ndarray) -> np.ndarray:
    """Mirror SMPL axis-angle pose parameters about the image's x axis.

    Left and right joints swap, and a mirror ``x -> -x`` maps a rotation
    vector ``(a, b, c)`` to ``(a, -b, -c)``.

    Args:
        pose: ``(..., 72)`` axis-angle pose (global orientation first).
    """
    pose = np.asarray(pose)
    shape = pose.shape
    p = pose.reshape(shape[:-1] + (NUM_SMPL_JOINTS, 3))
    p = p[..., FLIP_INDICES['smpl_24'], :].copy()
    p[..., 1:] *= -1
    return p.reshape(shape)


# DensePose: 24 surface charts (dp_I 1..24) and 14 coarse parts (dp_masks).
DENSEPOSE_CHARTS: List[str] = [
    'torso_back', 'torso_front', 'right_hand', 'left_hand', 'left_foot',
    'right_foot', 'upper_leg_right_back', 'upper_leg_left_back',
    'upper_leg_right_front', 'upper_leg_left_front', 'lower_leg_right_back',
    'lower_leg_left_back', 'lower_leg_right_front', 'lower_leg_left_front',
    'upper_arm_left_front', 'upper_arm_right_front', 'upper_arm_left_back',
    'upper_arm_right_back', 'lower_arm_left_front', 'lower_arm_right_front',
    'lower_arm_left_back', 'lower_arm_right_back', 'head_right', 'head_left'
]
DENSEPOSE_COARSE_PARTS: List[str] = [
    'torso', 'right_hand', 'left_hand', 'left_foot', 'right_foot',
    'upper_leg_right', 'upper_leg_left', 'lower_leg_right', 'lower_leg_left',
    'upper_arm_left', 'upper_arm_right', 'lower_arm_left', 'lower_arm_right',
    'head'
]
# Coarse part (1..14) of each chart (1..24); index 0 is background.
DENSEPOSE_CHART_TO_COARSE: List[int] = [
    0, 1, 1, 2, 3, 4, 5, 6, 7, 6, 7, 8, 9, 8, 9, 10, 11, 10, 11, 12, 13, 12,
    13, 14, 14
]
NUM_DENSEPOSE_CHARTS = 24
NUM_DENSEPOSE_COARSE = 14
