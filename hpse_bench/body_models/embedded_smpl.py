"""Embedded SMPL-format body model: a procedural human in SMPL's file format.

hpse_bench runs end to end without the licensed SMPL files. This module builds
a body model with SMPL's topology sizes (6890 vertices, 13776 faces, 24
joints, 10 shape and 207 pose blend-shape directions) and writes it in the
official layout (see ``docs/data_contract.md``), so the same loader
(``smplx.SMPL``) serves both and every downstream module stays unchanged when
real files replace it.

Construction (Loper et al., "SMPL: A Skinned Multi-Person Linear Model",
SIGGRAPH Asia 2015, Sec. 3 defines the quantities):

- Geometry: 15 closed capsule-like parts (torso, neck, head, upper/lower arms,
  hands, upper/lower legs, feet) around a skeleton with SMPL's rest-pose
  proportions (T-pose, y up, facing +z, the person's left on +x). Each part is
  a triangulated sphere (``F = 2V - 4``); parts are joined by connected sums
  (remove one triangle on each side, add a 6-triangle tube) placed where the
  parts overlap, so the union is one closed genus-0 surface with
  ``F = 2V - 4`` like SMPL's and the joins are hidden inside the body.
- ``J_regressor``: each joint is a convex combination of the vertex rings
  around it, solved so that ``J_regressor @ v_template`` is the skeleton.
- ``weights``: linear-blend-skinning weights from the distance to each bone,
  blended smoothly across joints (a soft minimum).
- ``shapedirs``: 10 hand-designed directions ordered by magnitude (stature,
  girth, leg length, shoulder width, arm length, ...), each a displacement of
  about 1-7 cm per unit beta so ``betas ~ N(0, 1)`` gives plausible bodies.
- ``posedirs``: small pose correctives, linear in ``R_k - I`` as in SMPL
  (Eq. 9): a bulge on the flexor side of a bent joint and a volume-keeping
  push outwards proportional to ``1 - cos(angle)``.
- Facial landmarks and smplx's extra vertex keypoints (toes, heels, finger
  tips) sit at the vertex ids SMPL uses (the vertex order is permuted), so the
  COCO-17 mapping of ``conventions.SMPL_FACE_VERTEX_IDS`` serves both models.
- ``densepose_uv.npz``: DensePose chart (``conventions.DENSEPOSE_CHARTS``) of
  every face and U, V per face corner (Gueler et al., CVPR 2018).

The output is deterministic: the same bytes on every run.
"""
import hashlib
import json
import os
import os.path as osp
import pickle
from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np
import torch
from scipy.interpolate import PchipInterpolator
from scipy.optimize import nnls

from hpse_bench.structures.conventions import (DENSEPOSE_CHARTS, H36M_17,
                                               NUM_BETAS, NUM_SMPL_FACES,
                                               NUM_SMPL_JOINTS,
                                               NUM_SMPL_VERTICES, SMPL_24,
                                               SMPL_FACE_VERTEX_IDS,
                                               SMPL_PARENTS)
from hpse_bench.structures.rotation import (axis_angle_to_matrix,
                                            matrix_to_rot6d)
from hpse_bench.utils.fileio import file_sha256, save_npz

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

# smplx's extra vertex keypoints of SMPL / SMPL-H (feet and finger tips);
# the face ones equal conventions.SMPL_FACE_VERTEX_IDS.
_SMPLH_FOOT_HAND_VERTEX_IDS: Dict[str, int] = {
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

_J = {name: i for i, name in enumerate(SMPL_24)}
_CHART = {name: i + 1 for i, name in enumerate(DENSEPOSE_CHARTS)}

# --------------------------------------------------------------------------
# Skeleton: rest-pose joints of the left side and the midline, in metres,
# close to SMPL's neutral template (height ~1.70 m, soles at y = -1.205).
# --------------------------------------------------------------------------
_SOLE_Y = -1.205
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


def _h36m_targets(joints: np.ndarray) -> np.ndarray:
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


def _extra_targets() -> np.ndarray:
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


# --------------------------------------------------------------------------
# Parts: capsule-like triangulated spheres around an axis.
# --------------------------------------------------------------------------
@dataclass
class _Part:
    """One closed part. ``theta`` is each vertex's angle around the axis
    (0 = the part's front direction ``u``), ``t`` its axial position in
    [0, 1] from the start pole; poles have ``theta = nan``."""
    name: str
    kind: str
    side: str
    verts: np.ndarray
    faces: np.ndarray
    t: np.ndarray
    theta: np.ndarray
    start: np.ndarray
    axis: np.ndarray
    length: float
    u: np.ndarray
    w: np.ndarray
    profile: Callable[[np.ndarray], np.ndarray]
    n_seg: int
    n_ring: int
    offset: int = 0

    def local(self, points: np.ndarray) -> Tuple[np.ndarray, ...]:
        """Axial fraction and normalised cross-section coordinates."""
        d = points - self.start
        t = d @ self.axis / self.length
        prof = self.profile(np.clip(t, 0.0, 1.0))
        pu = d @ self.u - prof[:, 2]
        pw = d @ self.w - prof[:, 3]
        return t, pu / prof[:, 0], pw / prof[:, 1]

    def inside_score(self, points: np.ndarray) -> np.ndarray:
        """< 1 inside the part's (uncapped) volume, grows outwards."""
        t, a, b = self.local(points)
        score = a**2 + b**2
        return np.where((t > 0.02) & (t < 0.98), score, np.inf)


def _frame(axis: np.ndarray, front: np.ndarray) -> Tuple[np.ndarray, ...]:
    u = front - (front @ axis) * axis
    u = u / np.linalg.norm(u)
    return u, np.cross(axis, u)


def _make_part(name: str,
               kind: str,
               side: str,
               start: Sequence[float],
               end: Sequence[float],
               front: Sequence[float],
               keys: Sequence[Tuple[float, ...]],
               cap0: float,
               cap1: float,
               n_seg: int,
               n_ring: int,
               exponent: float = 2.0) -> _Part:
    """A capsule-like sphere mesh from ``start`` to ``end`` (the poles).

    Args:
        keys: ``(s, r_front, r_side, off_front, off_side)`` profile keys;
            ``s`` is the distance from ``start`` in metres, the radii are the
            semi-axes of the cross-section along the front and side
            directions, the offsets move its centre.
        cap0, cap1: lengths (m) of the rounded ends.
        exponent: superellipse exponent of the cross-section (2 = ellipse).
    """
    start = np.asarray(start, np.float64)
    end = np.asarray(end, np.float64)
    length = float(np.linalg.norm(end - start))
    axis = (end - start) / length
    u, w = _frame(axis, np.asarray(front, np.float64))
    keys = np.asarray(keys, np.float64)
    interp = PchipInterpolator(
        keys[:, 0] / length, keys[:, 1:], axis=0, extrapolate=True)

    def profile(t: np.ndarray) -> np.ndarray:
        return interp(t)

    def cap(t: np.ndarray) -> np.ndarray:
        c0, c1 = cap0 / length, cap1 / length
        out = np.ones_like(t)
        a = t < c0
        out[a] = np.sqrt(np.clip(1 - ((c0 - t[a]) / c0)**2, 0, 1))
        b = t > 1 - c1
        out[b] = np.sqrt(np.clip(1 - ((t[b] - 1 + c1) / c1)**2, 0, 1))
        return out

    # Rings equally spaced in arc length along the (axial, radius) profile.
    fine = np.linspace(0.0, 1.0, 4001)
    pr = profile(fine)
    radius = 0.5 * (pr[:, 0] + pr[:, 1]) * cap(fine)
    arc = np.concatenate(
        [[0.0],
         np.cumsum(np.hypot(np.diff(fine) * length, np.diff(radius)))])
    t_ring = np.interp(
        np.arange(1, n_ring + 1) / (n_ring + 1) * arc[-1], arc, fine)

    theta = 2 * np.pi * np.arange(n_seg) / n_seg
    c, s = np.cos(theta), np.sin(theta)
    e = 2.0 / exponent
    c = np.sign(c) * np.abs(c)**e
    s = np.sign(s) * np.abs(s)**e
    pr = profile(t_ring)
    k = cap(t_ring)
    centre = (
        start + np.outer(t_ring * length, axis) + pr[:, 2:3] * u +
        pr[:, 3:4] * w)
    ring = (
        centre[:, None, :] +
        (k * pr[:, 0])[:, None, None] * c[None, :, None] * u +
        (k * pr[:, 1])[:, None, None] * s[None, :, None] * w)
    p0 = profile(np.zeros(1))[0]
    p1 = profile(np.ones(1))[0]
    pole0 = start + p0[2] * u + p0[3] * w
    pole1 = end + p1[2] * u + p1[3] * w
    verts = np.concatenate([pole0[None], ring.reshape(-1, 3), pole1[None]])

    faces = []
    idx = 1 + np.arange(n_ring * n_seg).reshape(n_ring, n_seg)
    nxt = np.roll(np.arange(n_seg), -1)
    last = n_ring * n_seg + 1
    faces.append(np.stack([np.zeros(n_seg, int), idx[0, nxt], idx[0]], 1))
    for r in range(n_ring - 1):
        a, b = idx[r], idx[r, nxt]
        cc, d = idx[r + 1, nxt], idx[r + 1]
        faces.append(np.stack([a, b, cc], 1))
        faces.append(np.stack([a, cc, d], 1))
    faces.append(np.stack([np.full(n_seg, last), idx[-1], idx[-1, nxt]], 1))
    faces = np.concatenate(faces).astype(np.int64)
    t_all = np.concatenate([[0.0], np.repeat(t_ring, n_seg), [1.0]])
    th = np.where(theta > np.pi, theta - 2 * np.pi, theta)
    theta_all = np.concatenate([[np.nan], np.tile(th, n_ring), [np.nan]])
    part = _Part(name, kind, side, verts, faces, t_all, theta_all, start, axis,
                 length, u, w, profile, n_seg, n_ring)
    if _signed_volume(verts, faces) < 0:
        part.faces = faces[:, ::-1].copy()
    return part


def _signed_volume(verts: np.ndarray, faces: np.ndarray) -> float:
    a, b, c = verts[faces[:, 0]], verts[faces[:, 1]], verts[faces[:, 2]]
    return float(np.einsum('ij,ij->i', a, np.cross(b, c)).sum() / 6.0)


def _mirror(part: _Part, side: str) -> _Part:
    """The mirror image (x -> -x) of a left part.

    The side axis becomes ``w' = axis' x u' = -M w`` (right-handed again),
    so angles and side offsets change sign.
    """
    m = np.array([-1.0, 1.0, 1.0])
    base = part.profile

    def profile(t: np.ndarray) -> np.ndarray:
        out = base(t).copy()
        out[..., 3] *= -1
        return out

    return _Part(
        part.name.replace('left', side),
        part.kind, side, part.verts * m, part.faces[:, ::-1].copy(),
        part.t.copy(), -part.theta, part.start * m, part.axis * m, part.length,
        part.u * m, -(part.w * m), profile, part.n_seg, part.n_ring)


# Part specifications. Profile keys are (s, r_front, r_side, off_front,
# off_side) in metres: s from the start pole (negative: from the end pole),
# the cross-section semi-axes along the part's front and side directions and
# offsets of its centre. ``caps`` are the lengths of the rounded ends, ``grid``
# the (segments, rings) of the sphere mesh (V = segments * rings + 2).

# Midline parts: (start, end) poles, keys by height y: (y, half-width x,
# half-depth z, centre z).
_TORSO = dict(
    ends=(-0.445, 0.310),
    keys=[(-0.445, 0.120, 0.090, 0.000), (-0.360, 0.160, 0.100, -0.005),
          (-0.270, 0.172, 0.112, 0.000), (-0.150, 0.152, 0.104, 0.012),
          (-0.040, 0.140, 0.100, 0.018), (0.060, 0.150, 0.110, 0.022),
          (0.140, 0.163, 0.115, 0.020), (0.220, 0.172, 0.090, 0.000),
          (0.310, 0.130, 0.070, -0.010)],
    caps=(0.085, 0.095),
    grid=(48, 36),
    exponent=2.4)
_HEAD = dict(
    ends=(0.312, 0.505),
    keys=[(0.312, 0.055, 0.070, 0.050), (0.360, 0.063, 0.085, 0.050),
          (0.420, 0.076, 0.098, 0.040), (0.460, 0.078, 0.100, 0.032),
          (0.505, 0.070, 0.090, 0.025)],
    caps=(0.045, 0.085),
    grid=(32, 26),
    exponent=2.0)
# The neck is mostly hidden between torso and head.
_NECK = dict(
    start=(0.0, 0.200, -0.010),
    end=(0.0, 0.400, 0.030),
    keys=[(0.0, 0.055, 0.055, 0, 0), (0.1, 0.050, 0.052, 0, 0),
          (0.2, 0.050, 0.050, 0, 0)],
    caps=(0.04, 0.04),
    grid=(12, 13))
# Left limbs, along the bone between two joints extended at both ends so
# that neighbouring parts overlap. Arms face +z (palms down in the T-pose).
_LEFT_LIMBS = [
    dict(
        name='upper_arm',
        joints=('shoulder', 'elbow'),
        extend=(0.07, 0.045),
        keys=[(0.0, 0.052, 0.054, 0, 0), (0.075, 0.058, 0.062, 0, 0.004),
              (0.16, 0.047, 0.048, 0, 0), (-0.05, 0.040, 0.038, 0, 0),
              (-0.0, 0.038, 0.036, 0, 0)],
        caps=(0.045, 0.035),
        grid=(20, 20)),
    dict(
        name='lower_arm',
        joints=('elbow', 'wrist'),
        extend=(0.04, 0.025),
        keys=[(0.0, 0.040, 0.038, 0, 0), (0.09, 0.043, 0.037, 0, 0),
              (-0.03, 0.030, 0.021, 0, 0), (-0.0, 0.029, 0.020, 0, 0)],
        caps=(0.035, 0.02),
        grid=(16, 20)),
    # A mitten: flat, boxy, from the wrist to the finger tips.
    dict(
        name='hand',
        joints=('wrist', 'hand'),
        extend=(0.015, 0.1),
        keys=[(0.0, 0.032, 0.020, 0, 0), (0.05, 0.040, 0.018, 0, 0),
              (0.10, 0.043, 0.016, 0, 0), (-0.0, 0.034, 0.011, 0, 0)],
        caps=(0.02, 0.035),
        grid=(16, 12),
        exponent=3.0),
    dict(
        name='upper_leg',
        joints=('hip', 'knee'),
        extend=(0.10, 0.045),
        keys=[(0.0, 0.080, 0.080, 0, 0), (0.12, 0.090, 0.088, 0.005, 0),
              (0.28, 0.074, 0.070, 0.006, 0), (-0.07, 0.055, 0.054, 0, 0),
              (-0.0, 0.052, 0.050, 0, 0)],
        caps=(0.07, 0.04),
        grid=(24, 22)),
    # The calf bulges backwards (negative front offset).
    dict(
        name='lower_leg',
        joints=('knee', 'ankle'),
        extend=(0.045, 0.030),
        keys=[(0.0, 0.052, 0.050, 0, 0), (0.05, 0.053, 0.050, 0, 0),
              (0.16, 0.060, 0.050, -0.010, 0), (0.30, 0.045, 0.040, -0.006, 0),
              (-0.05, 0.033, 0.031, 0, 0), (-0.0, 0.032, 0.030, 0, 0)],
        caps=(0.04, 0.03),
        grid=(20, 22)),
]
# The foot runs from heel to toes on the sole; its "front" is up and the
# front offset equals the front radius, so the sole stays flat.
_LEFT_FOOT = dict(
    start=(0.085, _SOLE_Y, -0.100),
    end=(0.130, _SOLE_Y, 0.165),
    keys=[(0.0, 0.048, 0.030, 0.048, 0), (0.07, 0.052, 0.036, 0.052, 0),
          (0.14, 0.040, 0.044, 0.040, 0), (0.20, 0.027, 0.049, 0.027, 0),
          (-0.0, 0.019, 0.040, 0.019, 0)],
    caps=(0.045, 0.05),
    grid=(16, 12))


def _keys_from_end(keys: Sequence[Tuple[float, ...]],
                   length: float) -> List[Tuple[float, ...]]:
    """Resolve keys given from the end pole (``s <= 0`` after the first)."""
    out = [tuple(keys[0])]
    for k in keys[1:]:
        s = k[0] if k[0] > 0 else length + k[0]
        out.append((s, ) + tuple(k[1:]))
    return out


def _vertical_part(name: str, spec: dict) -> _Part:
    """A midline part along y (front = +z, side = x) from height keys."""
    y0, y1 = spec['ends']
    keys = [(y - y0, z, x, zc, 0.0) for y, x, z, zc in spec['keys']]
    return _make_part(
        name,
        name,
        'mid', (0.0, y0, 0.0), (0.0, y1, 0.0), (0.0, 0.0, 1.0),
        keys,
        *spec['caps'],
        *spec['grid'],
        exponent=spec['exponent'])


def _build_parts(joints: np.ndarray) -> List[_Part]:
    """The 15 parts; their vertex counts sum to exactly 6890."""
    parts = [
        _vertical_part('torso', _TORSO),
        _make_part('neck', 'neck', 'mid', _NECK['start'], _NECK['end'],
                   (0.0, 0.0, 1.0), _NECK['keys'], *_NECK['caps'],
                   *_NECK['grid']),
        _vertical_part('head', _HEAD),
    ]
    left = []
    for spec in _LEFT_LIMBS:
        a = joints[_J['left_' + spec['joints'][0]]]
        b = joints[_J['left_' + spec['joints'][1]]]
        d = (b - a) / np.linalg.norm(b - a)
        start = a - spec['extend'][0] * d
        end = b + spec['extend'][1] * d
        keys = _keys_from_end(spec['keys'], np.linalg.norm(end - start))
        left.append(
            _make_part(
                'left_' + spec['name'],
                spec['name'],
                'left',
                start,
                end, (0.0, 0.0, 1.0),
                keys,
                *spec['caps'],
                *spec['grid'],
                exponent=spec.get('exponent', 2.0)))
    foot = _LEFT_FOOT
    length = np.linalg.norm(np.subtract(foot['end'], foot['start']))
    left.append(
        _make_part('left_foot', 'foot', 'left', foot['start'],
                   foot['end'], (0.0, 1.0, 0.0),
                   _keys_from_end(foot['keys'],
                                  length), *foot['caps'], *foot['grid']))
    parts.extend(left)
    parts.extend(_mirror(p, 'right') for p in left)
    return parts


# --------------------------------------------------------------------------
# Connected sums
# --------------------------------------------------------------------------
def _pole_face(part: _Part, end: bool) -> int:
    """Index (within the part) of a face of the start/end pole fan."""
    pole = part.verts.shape[0] - 1 if end else 0
    rows = np.where((part.faces == pole).any(1))[0]
    return int(rows[0])


def _pierce_face(part: _Part, other: _Part) -> int:
    """The face of ``part`` deepest inside ``other`` (where its axis
    pierces ``part``'s surface)."""
    centroid = part.verts[part.faces].mean(1)
    return int(np.argmin(other.inside_score(centroid)))


def _tube(tri_a: np.ndarray, tri_b: np.ndarray,
          verts: np.ndarray) -> np.ndarray:
    """Six triangles joining the holes left by the oriented faces
    ``tri_a`` and ``tri_b`` with consistent orientation."""
    p = tri_a
    best = None
    for shift in range(3):
        # Pair p_i with q_i walking the second hole backwards.
        q = np.array([tri_b[(shift - i) % 3] for i in range(3)])
        cost = np.linalg.norm(verts[p] - verts[q], axis=1).sum()
        if best is None or cost < best[0]:
            best = (cost, q)
    q = best[1]
    out = []
    for i in range(3):
        n = (i + 1) % 3
        out.append((p[i], p[n], q[n]))
        out.append((p[i], q[n], q[i]))
    return np.array(out, np.int64)


# Joins: (parent, child, parent face rule, child face rule).
_JOINS = [
    ('torso', 'neck', 'pierce', 'start'),
    ('neck', 'head', 'end', 'start'),
]
for _s in ('left', 'right'):
    _JOINS += [
        ('torso', f'{_s}_upper_arm', 'pierce', 'start'),
        (f'{_s}_upper_arm', f'{_s}_lower_arm', 'end', 'start'),
        (f'{_s}_lower_arm', f'{_s}_hand', 'end', 'start'),
        ('torso', f'{_s}_upper_leg', 'pierce', 'start'),
        (f'{_s}_upper_leg', f'{_s}_lower_leg', 'end', 'start'),
        (f'{_s}_lower_leg', f'{_s}_foot', 'end', 'pierce'),
    ]


def _assemble(parts: List[_Part]) -> Tuple[np.ndarray, ...]:
    """Concatenate parts and join them into one closed surface.

    Returns:
        verts, faces, face_part (part index per face, the parent's for tube
        faces), vertex_part.
    """
    by_name = {p.name: i for i, p in enumerate(parts)}
    offset = 0
    for p in parts:
        p.offset = offset
        offset += p.verts.shape[0]
    verts = np.concatenate([p.verts for p in parts])
    faces = [p.faces + p.offset for p in parts]
    keep = [np.ones(len(p.faces), bool) for p in parts]
    tubes, tube_part = [], []
    for parent, child, rule_p, rule_c in _JOINS:
        a, b = parts[by_name[parent]], parts[by_name[child]]
        fa = (
            _pierce_face(a, b) if rule_p == 'pierce' else _pole_face(
                a, rule_p == 'end'))
        fb = (
            _pierce_face(b, a) if rule_c == 'pierce' else _pole_face(
                b, rule_c == 'end'))
        if not (keep[by_name[parent]][fa] and keep[by_name[child]][fb]):
            raise RuntimeError(f'join {parent}-{child} reuses a face')
        keep[by_name[parent]][fa] = False
        keep[by_name[child]][fb] = False
        tubes.append(
            _tube(faces[by_name[parent]][fa], faces[by_name[child]][fb],
                  verts))
        tube_part.append(by_name[parent])
    face_list, face_part = [], []
    for i, (f, k) in enumerate(zip(faces, keep)):
        face_list.append(f[k])
        face_part.append(np.full(k.sum(), i))
    for i, t in zip(tube_part, tubes):
        face_list.append(t)
        face_part.append(np.full(len(t), i))
    vertex_part = np.concatenate(
        [np.full(p.verts.shape[0], i) for i, p in enumerate(parts)])
    return (verts, np.concatenate(face_list), np.concatenate(face_part),
            vertex_part)


# --------------------------------------------------------------------------
# Face details: nose, eyes, ears, chin.
# --------------------------------------------------------------------------
def _ring_vertex(part: _Part, t: float, theta: float) -> int:
    """Index (within the part) of the ring vertex nearest (t, theta)."""
    ring = np.argmin(np.abs(part.t[1:-1:part.n_seg] - t))
    dth = np.angle(
        np.exp(1j * (2 * np.pi * np.arange(part.n_seg) / part.n_seg - theta)))
    return 1 + ring * part.n_seg + int(np.argmin(np.abs(dth)))


def _sculpt_head(head: _Part) -> Dict[str, int]:
    """Raise a nose, sink the eyes, add ears; return landmark indices."""
    v = head.verts
    y_of = lambda y: (y - head.start[1]) / head.length  # noqa: E731
    side_sign = np.sign(head.w[0])  # +x is the person's left
    lm = {
        'nose': _ring_vertex(head, y_of(0.402), 0.0),
        'left_eye': _ring_vertex(head, y_of(0.436), side_sign * 0.40),
        'right_eye': _ring_vertex(head, y_of(0.436), -side_sign * 0.40),
        'left_ear': _ring_vertex(head, y_of(0.418), side_sign * np.pi / 2),
        'right_ear': _ring_vertex(head, y_of(0.418), -side_sign * np.pi / 2),
    }
    rest = v.copy()

    def bump(centre: np.ndarray, sigma: Tuple[float, float, float],
             amount: float, direction: np.ndarray) -> None:
        d = (rest - centre) / np.asarray(sigma)
        g = np.exp(-0.5 * (d**2).sum(1))
        v[:] += amount * g[:, None] * direction

    z = np.array([0.0, 0.0, 1.0])
    x = np.array([1.0, 0.0, 0.0])
    nose = rest[lm['nose']].copy()
    bump(nose, (0.011, 0.018, 0.03), 0.024, z)
    bump(nose + (0, -0.055, 0), (0.025, 0.015, 0.03), 0.010, z)  # chin
    for eye in ('left_eye', 'right_eye'):
        bump(rest[lm[eye]], (0.010, 0.007, 0.03), -0.006, z)
    for ear, sign in (('left_ear', 1.0), ('right_ear', -1.0)):
        bump(rest[lm[ear]], (0.03, 0.022, 0.012), 0.012, sign * x)
    return lm


# --------------------------------------------------------------------------
# Regressors, skinning, blend shapes.
# --------------------------------------------------------------------------
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
                    part: _Part,
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
_JOINT_HOSTS = {
    'pelvis': 'torso',
    'spine_1': 'torso',
    'spine_2': 'torso',
    'spine_3': 'torso',
    'neck': 'neck',
    'head': 'head',
}
for _s in ('left', 'right'):
    _JOINT_HOSTS.update({
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
_H36M_HOSTS = {
    'pelvis': 'torso',
    'spine': 'torso',
    'thorax': 'torso',
    'head': 'head',
    'head_top': 'head'
}
for _s in ('left', 'right'):
    _H36M_HOSTS.update({
        f'{_s}_hip': f'{_s}_upper_leg',
        f'{_s}_knee': f'{_s}_lower_leg',
        f'{_s}_ankle': f'{_s}_lower_leg',
        f'{_s}_shoulder': f'{_s}_upper_arm',
        f'{_s}_elbow': f'{_s}_lower_arm',
        f'{_s}_wrist': f'{_s}_hand'
    })
_EXTRA_HOSTS = {
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


def _regressor(verts: np.ndarray, parts: List[_Part], names: Sequence[str],
               targets: np.ndarray, hosts: Dict[str, str]) -> np.ndarray:
    by_name = {p.name: p for p in parts}
    return np.stack([
        _ring_regressor(verts, by_name[hosts[n]], tgt)
        for n, tgt in zip(names, targets)
    ])


def _children(parent_list: Sequence[int]) -> Dict[int, List[int]]:
    out: Dict[int, List[int]] = {i: [] for i in range(len(parent_list))}
    for i, p in enumerate(parent_list):
        if p >= 0:
            out[p].append(i)
    return out


def _bones(joints: np.ndarray) -> List[List[Tuple[np.ndarray, np.ndarray]]]:
    """Segments that each joint's transform moves (joint to its children;
    leaves extend along their parent's bone)."""
    children = _children(SMPL_PARENTS)
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


def _skinning_weights(verts: np.ndarray, parts: List[_Part],
                      vertex_part: np.ndarray,
                      joints: np.ndarray) -> np.ndarray:
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


def _smoothstep(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _radial(verts: np.ndarray, parts: List[_Part],
            vertex_part: np.ndarray) -> np.ndarray:
    """Each vertex's offset from its part's axis (cross-section centre)."""
    out = np.zeros_like(verts)
    for i, part in enumerate(parts):
        sel = vertex_part == i
        d = verts[sel] - part.start
        t = np.clip(d @ part.axis / part.length, 0, 1)
        prof = part.profile(t)
        centre = (
            part.start + np.outer(t * part.length, part.axis) +
            prof[:, 2:3] * part.u + prof[:, 3:4] * part.w)
        out[sel] = verts[sel] - centre
    return out


def _shapedirs(verts: np.ndarray, parts: List[_Part], vertex_part: np.ndarray,
               joints: np.ndarray) -> np.ndarray:
    """Ten shape directions ``(V, 3, 10)``, ordered by magnitude.

    0 stature, 1 girth, 2 leg length, 3 shoulder width, 4 arm length,
    5 hip width, 6 torso length, 7 belly depth, 8 head size, 9 limb
    muscularity versus torso mass.
    """
    kinds = np.array([p.kind for p in parts])[vertex_part]
    x, y = verts[:, 0], verts[:, 1]
    radial = _radial(verts, parts, vertex_part)
    is_arm = np.isin(kinds, ['upper_arm', 'lower_arm', 'hand'])
    is_leg = np.isin(kinds, ['upper_leg', 'lower_leg', 'foot'])
    is_torso = kinds == 'torso'
    is_head = np.isin(kinds, ['head', 'neck'])
    limb = is_arm | is_leg
    j = {n: joints[i] for n, i in _J.items()}
    dirs = np.zeros(verts.shape + (NUM_BETAS, ))

    # 0: stature, uniform scaling about the pelvis (~6.8 cm of height).
    dirs[..., 0] = 0.04 * (verts - j['pelvis'])
    # 1: girth, outwards from each part's axis; more on the torso.
    g = np.where(is_torso, 0.13, np.where(limb, 0.10, 0.03))
    dirs[..., 1] = g[:, None] * radial
    # 2: leg length; legs stretch below the hips, feet move rigidly.
    hip_y = j['left_hip'][1]
    leg_frac = np.clip(hip_y - np.maximum(y, j['left_ankle'][1]), 0, None)
    leg_frac /= hip_y - j['left_ankle'][1]
    dirs[:, 1, 2] = -0.035 * leg_frac * (is_leg | is_torso)
    # 3: shoulder width; the upper torso widens, arms move out rigidly.
    shoulder = np.where(
        is_arm, 1.0,
        _smoothstep(np.abs(x), 0.04, 0.17) * _smoothstep(y, -0.05, 0.15))
    dirs[:, 0, 3] = 0.022 * np.sign(x) * shoulder * (is_arm | is_torso)
    # 4: arm length; upper and lower arm stretch, hands move rigidly.
    xs, xw = j['left_shoulder'][0], j['left_wrist'][0]
    arm_frac = np.clip((np.minimum(np.abs(x), xw) - xs) / (xw - xs), 0, 1)
    dirs[:, 0, 4] = 0.035 * np.sign(x) * arm_frac * is_arm
    # 5: hip width; the pelvis widens, legs move out rigidly.
    hip = np.where(
        is_leg, 1.0,
        _smoothstep(np.abs(x), 0.03, 0.15) *
        (1 - _smoothstep(y, -0.20, -0.05)))
    dirs[:, 0, 5] = 0.016 * np.sign(x) * hip * (is_leg | is_torso)
    # 6: torso length; the abdomen stretches, everything above moves up.
    up = _smoothstep(y, -0.25, 0.15)
    dirs[:, 1, 6] = 0.02 * np.where(is_leg, 0.0, up)
    # 7: belly depth; the front of the abdomen pushes forward.
    belly = np.exp(-0.5 * ((y + 0.06) / 0.10)**2)
    front = np.clip(radial[:, 2] / 0.10, 0, None)
    dirs[:, 2, 7] = 0.03 * belly * front * is_torso
    # 8: head size, scaling about the neck joint.
    dirs[..., 8] = 0.10 * (verts - j['neck']) * is_head[:, None]
    # 9: limbs thicker, torso slimmer.
    m = np.where(limb, 0.09, np.where(is_torso, -0.05, 0.0))
    dirs[..., 9] = m[:, None] * radial
    return dirs


def _posedirs(verts: np.ndarray, normals: np.ndarray, weights: np.ndarray,
              joints: np.ndarray) -> np.ndarray:
    """Pose correctives ``(V, 3, 207)`` linear in ``R_k - I`` (SMPL Eq. 9).

    For joint ``k`` with bone direction ``d`` the rotation moves the bone by
    ``(R - I) d``; vertices near the joint whose normal points that way
    (the flexor side) bulge out, and every nearby vertex moves out by
    ``1 - cos(angle) = -tr(R - I) / 2`` to keep the volume LBS loses.
    """
    children = _children(SMPL_PARENTS)
    posedirs = np.zeros((verts.shape[0], 3, 9 * (NUM_SMPL_JOINTS - 1)))
    for k in range(1, NUM_SMPL_JOINTS):
        if children[k]:
            d = joints[children[k]].mean(0) - joints[k]
        else:
            d = joints[k] - joints[SMPL_PARENTS[k]]
        d = d / np.linalg.norm(d)
        # Vertices moved by both the joint and its parent side.
        near = np.exp(-0.5 *
                      (np.linalg.norm(verts - joints[k], axis=1) / 0.05)**2)
        near *= np.clip(weights[:, k] * 4 * (1 - weights[:, k]), 0, 1)
        block = np.zeros((verts.shape[0], 3, 3, 3))
        # Flexor bulge: offset = a * near * (n . (R - I) d) n.
        block += 0.008 * near[:, None, None, None] * (
            normals[:, :, None, None] * normals[:, None, :, None] *
            d[None, None, None, :])
        # Volume: offset = b * near * (1 - cos) n, 1 - cos = -tr(R - I)/2.
        for i in range(3):
            block[:, :, i, i] += -0.5 * 0.006 * near[:, None] * normals
        posedirs[:, :, 9 * (k - 1):9 * k] = block.reshape(-1, 3, 9)
    return posedirs


def _vertex_normals(verts: np.ndarray, faces: np.ndarray) -> np.ndarray:
    fn = np.cross(verts[faces[:, 1]] - verts[faces[:, 0]],
                  verts[faces[:, 2]] - verts[faces[:, 0]])
    n = np.zeros_like(verts)
    for c in range(3):
        np.add.at(n, faces[:, c], fn)
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)


# --------------------------------------------------------------------------
# DensePose charts and UV
# --------------------------------------------------------------------------
def _chart_of(part: _Part, front: np.ndarray,
              x_sign: np.ndarray) -> np.ndarray:
    """Chart id for faces of ``part``; ``front`` says whether a face lies
    on the front half, ``x_sign`` on which side of the midline."""
    s = part.side
    if part.kind == 'torso':
        return np.where(front, _CHART['torso_front'], _CHART['torso_back'])
    if part.kind in ('head', 'neck'):
        return np.where(x_sign > 0, _CHART['head_left'], _CHART['head_right'])
    if part.kind in ('hand', 'foot'):
        return np.full(len(front), _CHART[f'{s}_{part.kind}'])
    name = {
        'upper_arm': 'upper_arm_{s}_{fb}',
        'lower_arm': 'lower_arm_{s}_{fb}',
        'upper_leg': 'upper_leg_{s}_{fb}',
        'lower_leg': 'lower_leg_{s}_{fb}',
    }[part.kind]
    return np.where(front, _CHART[name.format(s=s, fb='front')],
                    _CHART[name.format(s=s, fb='back')])


def _densepose_tables(verts: np.ndarray, faces: np.ndarray,
                      face_part: np.ndarray,
                      parts: List[_Part]) -> Tuple[np.ndarray, ...]:
    """Chart per face and (U, V) per face corner.

    U runs across the chart (the angle around the part's axis over the half
    cylinder; planar across the hand/foot), V along it (the axial position),
    so U, V are continuous inside each chart.
    """
    theta = np.concatenate([p.theta for p in parts])
    t = np.concatenate([p.t for p in parts])
    corner_th = theta[faces]
    pole = np.isnan(corner_th)
    # A face's side (front/back) from the mean angle of its ring corners.
    z = np.where(pole, 0, np.exp(1j * np.where(pole, 0.0, corner_th)))
    face_th = np.angle(z.sum(1))
    front = np.abs(face_th) < np.pi / 2
    x_sign = verts[faces].mean(1)[:, 0]
    corner_t = t[faces]
    charts = np.zeros(len(faces), np.int64)
    uv = np.zeros(faces.shape + (2, ))
    for i, part in enumerate(parts):
        # Tube faces belong to the parent part; their corners on the child
        # use the child's own (t, theta), which keeps U, V a function of
        # (vertex, chart) and so continuous inside every chart.
        sel = face_part == i
        charts[sel] = _chart_of(part, front[sel], x_sign[sel])
        th = corner_th[sel]
        if part.kind == 'hand':
            u = 0.5 + 0.5 * np.cos(th)
        elif part.kind == 'foot':
            u = 0.5 + 0.5 * np.sin(th)
        elif part.kind in ('head', 'neck'):
            u = np.abs(th) / np.pi
        else:
            # Angle from the centre of the face's chart (front: 0, back: pi).
            centre = np.where(front[sel], 0.0, np.pi)[:, None]
            rel = np.angle(np.exp(1j * (th - centre)))
            u = (rel + np.pi / 2) / np.pi
        # Poles lie on the axis: the middle of the chart's end.
        uv[sel, :, 0] = np.where(pole[sel], 0.5, u)
        uv[sel, :, 1] = corner_t[sel]
    return charts, np.clip(uv, 0.0, 1.0)


# --------------------------------------------------------------------------
# Mean parameters
# --------------------------------------------------------------------------
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


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------
def builder_fingerprint() -> str:
    """SHA-256 of the code that determines the embedded files (this module
    and ``conventions.py``); caches built by other code are rebuilt."""
    from hpse_bench.structures import conventions
    h = hashlib.sha256()
    for module_file in (__file__, conventions.__file__):
        with open(module_file, 'rb') as f:
            h.update(f.read())
    return h.hexdigest()


@dataclass
class EmbeddedSMPL:
    """The arrays of the embedded model (what ``build_embedded_smpl``
    writes)."""
    model: Dict[str, object]
    j_regressor_h36m: np.ndarray
    j_regressor_extra: np.ndarray
    mean_params: Dict[str, np.ndarray]
    face_charts: np.ndarray
    face_uv: np.ndarray
    vertex_part: np.ndarray
    part_names: List[str]


def make_embedded_smpl() -> EmbeddedSMPL:
    """Compute the embedded model's arrays (deterministic)."""
    joints = skeleton_joints()
    parts = _build_parts(joints)
    head = next(p for p in parts if p.name == 'head')
    landmarks = _sculpt_head(head)
    verts, faces, face_part, vertex_part = _assemble(parts)
    by_name = {p.name: p for p in parts}

    n_verts = verts.shape[0]
    if n_verts != NUM_SMPL_VERTICES or len(faces) != NUM_SMPL_FACES:
        raise RuntimeError(f'embedded SMPL has {n_verts} vertices and '
                           f'{len(faces)} faces')

    # Vertex ids that must match SMPL's: face, toe, heel and finger tips.
    fixed = {
        SMPL_FACE_VERTEX_IDS[n]: head.offset + i
        for n, i in landmarks.items()
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
            [sx * 0.105, _SOLE_Y + 0.02, -0.02],
            small:
            fv[:, 2].max() * np.array([0, 0, 1.0]) +
            [sx * 0.165, _SOLE_Y + 0.015, -0.05],
            heel: [sx * 0.085, _SOLE_Y + 0.01, fv[:, 2].min()],
        }
        for key, p in foot_points.items():
            fixed[_SMPLH_FOOT_HAND_VERTEX_IDS[key]] = foot.offset + int(
                np.argmin(np.linalg.norm(fv - np.asarray(p), axis=1)))
        # Finger tips across the hand's far end (the thumb to the front).
        tip_x = hv[:, 0].max() if s == 'left' else hv[:, 0].min()
        for name, dz, dx in (('thumb', 0.045, -0.07), ('index', 0.025, -0.01),
                             ('middle', 0.008, 0.0), ('ring', -0.010, -0.005),
                             ('pinky', -0.027, -0.02)):
            p = np.array(
                [tip_x + sx * dx, hv[:, 1].mean(), hand.start[2] + dz])
            fixed[_SMPLH_FOOT_HAND_VERTEX_IDS[c + name]] = hand.offset + int(
                np.argmin(np.linalg.norm(hv - p, axis=1)))
    if len(set(fixed.values())) != len(fixed):
        raise RuntimeError('two landmarks share a vertex')
    order = np.full(n_verts, -1, np.int64)
    order[list(fixed)] = list(fixed.values())
    rest = np.setdiff1d(np.arange(n_verts), list(fixed.values()))
    order[order < 0] = rest
    inverse = np.empty_like(order)
    inverse[order] = np.arange(n_verts)

    # Everything is computed in the natural (part) order, then permuted.
    normals = _vertex_normals(verts, faces)
    j_reg = _regressor(verts, parts, SMPL_24, joints,
                       {n: _JOINT_HOSTS[n]
                        for n in SMPL_24})
    weights = _skinning_weights(verts, parts, vertex_part, joints)
    shapedirs = _shapedirs(verts, parts, vertex_part, joints)
    posedirs = _posedirs(verts, normals, weights, joints)
    h36m = _regressor(verts, parts, H36M_17, _h36m_targets(joints),
                      _H36M_HOSTS)
    extra = _regressor(verts, parts, J_REGRESSOR_EXTRA_NAMES, _extra_targets(),
                       _EXTRA_HOSTS)
    charts, uv = _densepose_tables(verts, faces, face_part, parts)

    kintree = np.array(
        [SMPL_PARENTS, list(range(NUM_SMPL_JOINTS))], dtype=np.int64)
    kintree[0, 0] = 4294967295  # as in the official file (uint32 -1)
    v_template = verts[order]
    model = {
        'v_template': v_template,
        'shapedirs': shapedirs[order],
        'posedirs': posedirs[order],
        'J_regressor': j_reg[:, order],
        'weights': weights[order],
        'kintree_table': kintree,
        'f': inverse[faces].astype(np.uint32),
        'J': j_reg[:, order] @ v_template,
        'bs_style': 'lbs',
        'bs_type': 'lrotmin',
    }
    mean_params = {
        # 6D as SPIN's file: R[:, :2] read row by row (structures/rotation).
        'pose':
        matrix_to_rot6d(torch.from_numpy(
            mean_pose_rotmats())).numpy().reshape(-1),
        'shape':
        np.zeros(NUM_BETAS),
        'cam':
        np.array([0.9, 0.0, 0.0]),
    }
    return EmbeddedSMPL(model, h36m[:, order], extra[:, order], mean_params,
                        charts, uv, vertex_part[order],
                        [p.name for p in parts])


def build_embedded_smpl(out_dir: str) -> str:
    """Write the embedded SMPL-format model into ``out_dir``.

    Layout (``docs/data_contract.md``)::

        out_dir/
          smpl/SMPL_NEUTRAL.pkl   plain-numpy pickle with SMPL's keys
          J_regressor_h36m.npy    (17, 6890), conventions.H36M_17 order
          J_regressor_extra.npy   (9, 6890), J_REGRESSOR_EXTRA_NAMES
          smpl_mean_params.npz    pose (144,) 6D, shape (10,), cam (3,)
          densepose_uv.npz        face_charts (13776,), face_uv (13776,3,2)
          embedded_smpl.json      format version and sizes
          SHA256SUMS              checksums of the files above

    Args:
        out_dir: folder to write (created if needed).

    Returns:
        ``out_dir``.
    """
    emb = make_embedded_smpl()
    os.makedirs(osp.join(out_dir, 'smpl'), exist_ok=True)
    with open(osp.join(out_dir, SMPL_PKL), 'wb') as f:
        pickle.dump(emb.model, f, protocol=2)
    np.save(osp.join(out_dir, J_REGRESSOR_H36M), emb.j_regressor_h36m)
    np.save(osp.join(out_dir, J_REGRESSOR_EXTRA), emb.j_regressor_extra)
    save_npz(
        osp.join(out_dir, SMPL_MEAN_PARAMS), emb.mean_params, compress=False)
    save_npz(
        osp.join(out_dir, DENSEPOSE_UV),
        dict(
            face_charts=emb.face_charts.astype(np.int64),
            face_uv=emb.face_uv.astype(np.float32)),
        compress=False)
    meta = {
        'name': 'hpse_bench embedded SMPL-format body model',
        'format_version': EMBEDDED_SMPL_FORMAT_VERSION,
        'num_vertices': NUM_SMPL_VERTICES,
        'num_faces': NUM_SMPL_FACES,
        'num_joints': NUM_SMPL_JOINTS,
        'num_betas': NUM_BETAS,
        'coordinates': 'metres; T-pose, y up, facing +z, left on +x',
        'j_regressor_extra': J_REGRESSOR_EXTRA_NAMES,
        'mean_pose_6d': 'SPIN layout: R[:, :2] read row by row',
        'parts': emb.part_names,
        'builder_sha256': builder_fingerprint(),
    }
    with open(osp.join(out_dir, METADATA), 'w') as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write('\n')
    with open(osp.join(out_dir, CHECKSUMS), 'w') as f:
        for name in EMBEDDED_FILES:
            f.write(f'{file_sha256(osp.join(out_dir, name))}  {name}\n')
    return out_dir
