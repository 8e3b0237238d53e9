"""Rigging: joint regressors and linear-blend-skinning weights.

- Each regressed point (SMPL joint, H36M joint, SPIN's extra joints) is a
  convex combination of the vertex rings of its host part around it, solved
  so that ``regressor @ v_template`` is the point's rest position.
- Skinning weights come from the distance to each bone, blended smoothly
  across joints (a soft minimum).
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np
from scipy.optimize import nnls

from hpse_bench.structures.conventions import NUM_SMPL_JOINTS, SMPL_PARENTS
from .parts import Part
from .skeleton import JOINT_INDEX as _J
from .skeleton import children_of


def _convex_weights(points: np.ndarray, target: np.ndarray,
                    prior: np.ndarray) -> np.ndarray:
    """Non-negative weights summing to 1 with ``w @ points == target``,
    close to ``prior`` (a constrained least-squares solved by NNLS)."""
    big = 1e4
    a = np.concatenate([
        big * np.vstack([points.T, np.ones(len(points))]),
        np.eye(len(points))
    ])
    b = np.concatenate([big * np.append(target, 1.0), prior])
    w, _ = nnls(a, b, maxiter=50 * len(points))
    # Polish on the support so the equality holds to machine precision.
    s = w > 1e-9
    m = np.vstack([points[s].T, np.ones(s.sum())])
    r = np.append(target, 1.0) - m @ w[s]
    w[s] += m.T @ np.linalg.lstsq(m @ m.T, r, rcond=None)[0]
    if (w < -1e-12).any() or abs(w.sum() - 1) > 1e-9:
        raise RuntimeError('convex joint weights failed')
    return np.clip(w, 0.0, None)


def _ring_regressor(verts: np.ndarray,
                    part: Part,
                    target: np.ndarray,
                    n_rings: int = 2) -> np.ndarray:
    """Regressor row: the vertex rings of ``part`` around ``target``."""
    t, _, _ = part.local(target[None])
    ring_t = part.t[1:-1:part.n_seg]
    # The rings bracketing the target and their neighbours.
    hi = int(np.clip(np.searchsorted(ring_t, t[0]), 1, len(ring_t) - 1))
    rings = range(max(hi - n_rings, 0), min(hi + n_rings, len(ring_t)))
    ids = np.concatenate([
        part.offset + 1 + r * part.n_seg + np.arange(part.n_seg) for r in rings
    ])
    prior = np.full(len(ids), 1.0 / len(ids))
    row = np.zeros(verts.shape[0])
    row[ids] = _convex_weights(verts[ids], target, prior)
    err = np.abs(row @ verts - target).max()
    if err > 1e-8:
        raise RuntimeError(f'regressor misses its target by {err} m')
    return row


# Host part of every regressed point, by name.
JOINT_HOSTS = {
    'pelvis': 'torso',
    'spine_1': 'torso',
    'spine_2': 'torso',
    'spine_3': 'torso',
    'neck': 'neck',
    'head': 'head',
}
for _s in ('left', 'right'):
    JOINT_HOSTS.update({
        f'{_s}_hip': f'{_s}_upper_leg',
        f'{_s}_knee': f'{_s}_lower_leg',
        f'{_s}_ankle': f'{_s}_lower_leg',
        f'{_s}_foot': f'{_s}_foot',
        f'{_s}_collar': 'torso',
        f'{_s}_shoulder': f'{_s}_upper_arm',
        f'{_s}_elbow': f'{_s}_lower_arm',
        f'{_s}_wrist': f'{_s}_hand',
        f'{_s}_hand': f'{_s}_hand'
    })
H36M_HOSTS = {
    'pelvis': 'torso',
    'spine': 'torso',
    'thorax': 'torso',
    'head': 'head',
    'head_top': 'head'
}
for _s in ('left', 'right'):
    H36M_HOSTS.update({
        f'{_s}_hip': f'{_s}_upper_leg',
        f'{_s}_knee': f'{_s}_lower_leg',
        f'{_s}_ankle': f'{_s}_lower_leg',
        f'{_s}_shoulder': f'{_s}_upper_arm',
        f'{_s}_elbow': f'{_s}_lower_arm',
        f'{_s}_wrist': f'{_s}_hand'
    })
EXTRA_HOSTS = {
    'right_hip': 'right_upper_leg',
    'left_hip': 'left_upper_leg',
    'neck_lsp': 'neck',
    'head_top_lsp': 'head',
    'pelvis_mpii': 'torso',
    'thorax_mpii': 'torso',
    'spine_h36m': 'torso',
    'jaw_h36m': 'head',
    'head_h36m': 'head'
}


def regressor(verts: np.ndarray, parts: List[Part], names: Sequence[str],
              targets: np.ndarray, hosts: Dict[str, str]) -> np.ndarray:
    """Regressor ``(len(names), V)``: row ``i`` gives ``targets[i]`` from
    the vertex rings of the part ``hosts[names[i]]``."""
    by_name = {p.name: p for p in parts}
    return np.stack([
        _ring_regressor(verts, by_name[hosts[n]], tgt)
        for n, tgt in zip(names, targets)
    ])


def _bones(joints: np.ndarray) -> List[List[Tuple[np.ndarray, np.ndarray]]]:
    """Segments that each joint's transform moves (joint to its children;
    leaves extend along their parent's bone)."""
    children = children_of(SMPL_PARENTS)
    leaf_extent = {
        _J['head']: np.array([0.0, 0.13, 0.0]),
        _J['left_foot']: np.array([0.0, 0.0, 0.07]),
        _J['right_foot']: np.array([0.0, 0.0, 0.07]),
    }
    bones = []
    for k in range(NUM_SMPL_JOINTS):
        if children[k]:
            bones.append([(joints[k], joints[c]) for c in children[k]])
        else:
            if k in leaf_extent:
                ext = leaf_extent[k]
            else:
                d = joints[k] - joints[SMPL_PARENTS[k]]
                ext = 0.09 * d / np.linalg.norm(d)
            bones.append([(joints[k], joints[k] + ext)])
    return bones


def _segment_distance(p: np.ndarray, a: np.ndarray,
                      b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip((p - a) @ ab / (ab @ ab), 0.0, 1.0)
    return np.linalg.norm(p - (a + t[:, None] * ab), axis=1)


# Joints whose transforms may move each part's vertices, and the blending
# width (m) of the soft minimum over bone distances.
_SKIN_CANDIDATES = {
    'torso': ([
        'pelvis', 'spine_1', 'spine_2', 'spine_3', 'left_collar',
        'right_collar', 'left_hip', 'right_hip', 'left_shoulder',
        'right_shoulder', 'neck'
    ], 0.035),
    'neck': (['neck', 'spine_3', 'head'], 0.03),
    'head': (['head', 'neck'], 0.025),
    'upper_arm': (['{s}_shoulder', '{s}_collar', '{s}_elbow'], 0.022),
    'lower_arm': (['{s}_elbow', '{s}_shoulder', '{s}_wrist'], 0.02),
    'hand': (['{s}_wrist', '{s}_hand', '{s}_elbow'], 0.02),
    'upper_leg': (['{s}_hip', 'pelvis', '{s}_knee'], 0.03),
    'lower_leg': (['{s}_knee', '{s}_hip', '{s}_ankle'], 0.025),
    'foot': (['{s}_ankle', '{s}_foot', '{s}_knee'], 0.025),
}


def skinning_weights(verts: np.ndarray, parts: List[Part],
                     vertex_part: np.ndarray,
                     joints: np.ndarray) -> np.ndarray:
    """Skinning weights ``(V, 24)``: per part, a soft minimum over the
    distances to the bones of its candidate joints."""
    bones = _bones(joints)
    weights = np.zeros((verts.shape[0], NUM_SMPL_JOINTS))
    for i, part in enumerate(parts):
        names, sigma = _SKIN_CANDIDATES[part.kind]
        cand = [_J[n.format(s=part.side)] for n in names]
        sel = vertex_part == i
        p = verts[sel]
        dist = np.stack([
            np.min([_segment_distance(p, a, b) for a, b in bones[k]], 0)
            for k in cand
        ], 1)
        d2 = dist**2 - (dist**2).min(1, keepdims=True)
        w = np.exp(-d2 / (2 * sigma**2))
        w[w < 1e-3] = 0.0
        w /= w.sum(1, keepdims=True)
        weights[np.ix_(sel, cand)] = w
    return weights
