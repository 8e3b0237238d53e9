"""Vertex ids the embedded model shares with SMPL, and its vertex order.

Facial landmarks and smplx's extra vertex keypoints (toes, heels, finger
tips) sit at the vertex ids SMPL uses, so the COCO-17 mapping of
``conventions.SMPL_FACE_VERTEX_IDS`` and smplx's vertex joint selector serve
both models. The vertices are built part by part (the natural order) and
then permuted so that those landmarks land on SMPL's ids.
"""
from typing import Dict, List, Tuple

import numpy as np

from hpse_bench.structures.conventions import SMPL_FACE_VERTEX_IDS
from .parts import Part
from .skeleton import SOLE_Y

# smplx's extra vertex keypoints of SMPL / SMPL-H (feet and finger tips);
# the face ones equal conventions.SMPL_FACE_VERTEX_IDS.
SMPLH_FOOT_HAND_VERTEX_IDS: Dict[str, int] = {
    'lthumb': 2746,
    'lindex': 2319,
    'lmiddle': 2445,
    'lring': 2556,
    'lpinky': 2673,
    'rthumb': 6191,
    'rindex': 5782,
    'rmiddle': 5905,
    'rring': 6016,
    'rpinky': 6133,
    'LBigToe': 3216,
    'LSmallToe': 3226,
    'LHeel': 3387,
    'RBigToe': 6617,
    'RSmallToe': 6624,
    'RHeel': 6787
}

# Finger tips across the hand's far end (the thumb to the front): name,
# offset along z from the wrist, inwards offset along the arm (m).
_FINGER_TIPS = (('thumb', 0.045, -0.07), ('index', 0.025, -0.01),
                ('middle', 0.008, 0.0), ('ring', -0.010,
                                         -0.005), ('pinky', -0.027, -0.02))


def _nearest(points: np.ndarray, target) -> int:
    return int(np.argmin(np.linalg.norm(points - np.asarray(target), axis=1)))


def landmark_vertex_ids(verts: np.ndarray, parts: List[Part],
                        head_landmarks: Dict[str, int]) -> Dict[int, int]:
    """SMPL's vertex id -> the vertex (natural order) that takes it.

    Args:
        verts: assembled vertices in the natural order.
        parts: the parts, with their offsets set by the assembly.
        head_landmarks: face landmark name -> vertex index within the head.

    Raises:
        RuntimeError: two landmarks fall on one vertex.
    """
    by_name = {p.name: p for p in parts}
    head = by_name['head']
    fixed = {
        SMPL_FACE_VERTEX_IDS[n]: head.offset + i
        for n, i in head_landmarks.items()
    }
    for s, c in (('left', 'l'), ('right', 'r')):
        foot, hand = by_name[f'{s}_foot'], by_name[f'{s}_hand']
        sx = 1.0 if s == 'left' else -1.0
        fv = verts[foot.offset:foot.offset + foot.verts.shape[0]]
        hv = verts[hand.offset:hand.offset + hand.verts.shape[0]]
        big, small, heel = (('LBigToe', 'LSmallToe',
                             'LHeel') if s == 'left' else
                            ('RBigToe', 'RSmallToe', 'RHeel'))
        foot_points = {
            big:
            fv[:, 2].max() * np.array([0, 0, 1.0]) +
            [sx * 0.105, SOLE_Y + 0.02, -0.02],
            small:
            fv[:, 2].max() * np.array([0, 0, 1.0]) +
            [sx * 0.165, SOLE_Y + 0.015, -0.05],
            heel: [sx * 0.085, SOLE_Y + 0.01, fv[:, 2].min()],
        }
        for key, p in foot_points.items():
            fixed[SMPLH_FOOT_HAND_VERTEX_IDS[key]] = foot.offset + _nearest(
                fv, p)
        tip_x = hv[:, 0].max() if s == 'left' else hv[:, 0].min()
        for name, dz, dx in _FINGER_TIPS:
            p = np.array(
                [tip_x + sx * dx, hv[:, 1].mean(), hand.start[2] + dz])
            fixed[SMPLH_FOOT_HAND_VERTEX_IDS[c + name]] = hand.offset + \
                _nearest(hv, p)
    if len(set(fixed.values())) != len(fixed):
        raise RuntimeError('two landmarks share a vertex')
    return fixed


def vertex_order(fixed: Dict[int, int],
                 n_verts: int) -> Tuple[np.ndarray, np.ndarray]:
    """The permutation that puts every landmark at its SMPL id.

    Returns:
        ``(order, inverse)``: output vertex ``i`` is natural vertex
        ``order[i]``; natural vertex ``j`` becomes ``inverse[j]``. Vertices
        that are no landmark keep their natural relative order.
    """
    order = np.full(n_verts, -1, np.int64)
    order[list(fixed)] = list(fixed.values())
    rest = np.setdiff1d(np.arange(n_verts), list(fixed.values()))
    order[order < 0] = rest
    inverse = np.empty_like(order)
    inverse[order] = np.arange(n_verts)
    return order, inverse
