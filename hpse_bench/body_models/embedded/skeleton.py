"""The embedded model's skeleton: rest-pose joints, regressed landmark
targets and the mean pose.

Rest pose: T-pose, y up, facing +z, the person's left on +x, metres, close
to SMPL's neutral template (height ~1.70 m, soles at y = -1.205).
"""
from typing import Dict, List, Sequence

import numpy as np
import torch

from hpse_bench.structures.conventions import H36M_17, NUM_SMPL_JOINTS, SMPL_24
from hpse_bench.structures.rotation import axis_angle_to_matrix
from .files import J_REGRESSOR_EXTRA_NAMES

#: Index of each SMPL joint by name.
JOINT_INDEX = {name: i for i, name in enumerate(SMPL_24)}
_J = JOINT_INDEX

SOLE_Y = -1.205
_MIDLINE_JOINTS = {
    'pelvis': (0.0, -0.225, 0.025),
    'spine_1': (0.0, -0.110, 0.000),
    'spine_2': (0.0, 0.025, 0.015),
    'spine_3': (0.0, 0.078, 0.022),
    'neck': (0.0, 0.285, -0.010),
    'head': (0.0, 0.355, 0.045),
}
_LEFT_JOINTS = {
    'hip': (0.070, -0.315, 0.020),
    'knee': (0.105, -0.690, 0.015),
    'ankle': (0.087, -1.107, -0.027),
    'foot': (0.120, -1.160, 0.095),
    'collar': (0.078, 0.195, -0.005),
    'shoulder': (0.173, 0.225, -0.018),
    'elbow': (0.435, 0.213, -0.038),
    'wrist': (0.705, 0.227, -0.032),
    'hand': (0.790, 0.221, -0.038),
}


def skeleton_joints() -> np.ndarray:
    """The rest-pose skeleton, ``(24, 3)`` in ``SMPL_24`` order (metres)."""
    joints = np.zeros((NUM_SMPL_JOINTS, 3))
    for name, pos in _MIDLINE_JOINTS.items():
        joints[_J[name]] = pos
    for name, pos in _LEFT_JOINTS.items():
        joints[_J['left_' + name]] = pos
        joints[_J['right_' + name]] = (-pos[0], pos[1], pos[2])
    return joints


def h36m_targets(joints: np.ndarray) -> np.ndarray:
    """Rest-pose H36M-17 joints (``conventions.H36M_17`` order)."""
    j = {n: joints[i] for n, i in _J.items()}
    out = {
        # Human3.6M's hips sit lower and wider than SMPL's.
        'left_hip': (0.085, -0.300, 0.015),
        'right_hip': (-0.085, -0.300, 0.015),
        'pelvis': (0.0, -0.290, 0.020),
        'spine': (0.0, -0.030, 0.010),
        'thorax': (0.0, 0.225, -0.010),
        'head': (0.0, 0.400, 0.050),
        'head_top': (0.0, 0.485, 0.030),
    }
    for side in ('left', 'right'):
        for n in ('knee', 'ankle', 'shoulder', 'elbow', 'wrist'):
            out[f'{side}_{n}'] = j[f'{side}_{n}']
    return np.array([out[n] for n in H36M_17], dtype=np.float64)


def extra_targets() -> np.ndarray:
    """Rest-pose positions of ``J_REGRESSOR_EXTRA_NAMES``."""
    out = {
        'right_hip': (-0.088, -0.305, 0.015),
        'left_hip': (0.088, -0.305, 0.015),
        'neck_lsp': (0.0, 0.305, 0.010),
        'head_top_lsp': (0.0, 0.490, 0.035),
        'pelvis_mpii': (0.0, -0.285, 0.020),
        'thorax_mpii': (0.0, 0.250, -0.010),
        'spine_h36m': (0.0, -0.030, 0.010),
        'jaw_h36m': (0.0, 0.360, 0.065),
        'head_h36m': (0.0, 0.420, 0.045),
    }
    return np.array([out[n] for n in J_REGRESSOR_EXTRA_NAMES],
                    dtype=np.float64)


def children_of(parent_list: Sequence[int]) -> Dict[int, List[int]]:
    """Joint index -> indices of its children in a kinematic tree."""
    out: Dict[int, List[int]] = {i: [] for i in range(len(parent_list))}
    for i, p in enumerate(parent_list):
        if p >= 0:
            out[p].append(i)
    return out


def mean_pose_rotmats() -> np.ndarray:
    """Mean pose ``(24, 3, 3)`` of ``smpl_mean_params.npz``.

    As SPIN's: the global orientation turns the body upside down (a
    rotation of pi about x) so it stands upright in camera coordinates
    (y down); arms are lowered about 45 degrees, elbows and knees slightly
    bent.
    """
    pose = np.zeros((NUM_SMPL_JOINTS, 3))
    pose[0] = (np.pi, 0.0, 0.0)
    pose[_J['left_shoulder']] = (0.0, 0.0, -0.75)
    pose[_J['right_shoulder']] = (0.0, 0.0, 0.75)
    pose[_J['left_elbow']] = (0.0, -0.35, 0.0)
    pose[_J['right_elbow']] = (0.0, 0.35, 0.0)
    for s in ('left', 'right'):
        pose[_J[f'{s}_hip']] = (-0.12, 0.0, 0.0)
        pose[_J[f'{s}_knee']] = (0.22, 0.0, 0.0)
    return axis_angle_to_matrix(torch.from_numpy(pose)).numpy()
