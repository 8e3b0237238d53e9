"""A hand-written prior over SMPL body poses: per-joint angle limits.

SMPL rotates every joint about its rest-pose frame, which is aligned with the
body: +x towards the subject's left, +y up, +z out of the chest. In that
frame the anatomical motions have fixed signs, e.g. a knee flexes with a
positive rotation about x (the shin swings backwards), a hip flexes with a
negative one, the left elbow with a negative rotation about y. Each joint's
rotation is ``R = Rx(a) @ Ry(b) @ Rz(c)`` (c applied first, so that a
shoulder first lowers the arm from the T-pose and then swings it forwards or
back). Angles are drawn from a clipped normal per axis, inside ranges of
motion taken from clinical tables (e.g. AAOS, "Joint Motion: Method of
Measuring and Recording"), narrowed where SMPL's skinning looks wrong; a few
activity modes (standing, walking, crouching, gesturing, free) shift the
means so that joints move together plausibly instead of independently.

Limits are written for the left side and the spine; right joints mirror
them (``x -> -x`` maps a rotation vector ``(a, b, c)`` to ``(a, -b, -c)``,
the mirror used by ``conventions.flip_smpl_pose``).
"""
from typing import Dict, List, Optional, Tuple

import numpy as np
from scipy.spatial.transform import Rotation

from hpse_bench.structures.conventions import (NUM_BETAS, NUM_SMPL_JOINTS,
                                               SMPL_24)

# name: ((lo, hi, mean, std) for x, y and z), degrees; left side and spine.
JointLimits = Tuple[Tuple[float, float, float, float], ...]
JOINT_LIMITS: Dict[str, JointLimits] = {
    'left_hip': ((-115, 30, -8, 15), (-35, 35, 0, 8), (-20, 45, 5, 6)),
    'spine_1': ((-15, 40, 4, 6), (-25, 25, 0, 7), (-20, 20, 0, 5)),
    'left_knee': ((0, 145, 10, 12), (-5, 5, 0, 2), (-5, 5, 0, 2)),
    'spine_2': ((-10, 25, 3, 4), (-20, 20, 0, 5), (-15, 15, 0, 3)),
    'left_ankle': ((-20, 40, 2, 8), (-20, 20, 0, 5), (-20, 20, 0, 5)),
    'spine_3': ((-10, 25, 3, 4), (-20, 20, 0, 5), (-15, 15, 0, 3)),
    'left_foot': ((-20, 20, 0, 5), (-5, 5, 0, 2), (-5, 5, 0, 2)),
    'neck': ((-30, 40, 5, 8), (-45, 45, 0, 12), (-20, 20, 0, 5)),
    'left_collar': ((-10, 10, 0, 3), (-15, 15, 0, 4), (-20, 15, 0, 4)),
    'head': ((-30, 30, 0, 6), (-35, 35, 0, 10), (-20, 20, 0, 5)),
    'left_shoulder': ((-110, 50, -5, 18), (-50, 50, 0, 12),
                      (-85, 45, -62, 12)),
    'left_elbow': ((-30, 30, 0, 8), (-145, 0, -25, 20), (-10, 10, 0, 3)),
    'left_wrist': ((-30, 30, 0, 8), (-25, 25, 0, 8), (-60, 60, 0, 15)),
    'left_hand': ((-15, 15, 0, 4), (-10, 10, 0, 3), (-30, 30, 0, 8)),
}

# Activity modes: probability and overrides (name, axis, mean, std) on the
# left joints; 'swap' mirrors the whole asymmetric pose with probability 1/2.
ACTIVITIES: Dict[str, Tuple[float, List[Tuple[str, int, float, float]]]] = {
    'standing': (0.35, []),
    'walking': (0.25, [
        ('left_hip', 0, -28, 8), ('right_hip', 0, 12, 6),
        ('left_knee', 0, 15, 8), ('right_knee', 0, 35, 10),
        ('left_shoulder', 0, 18, 8), ('right_shoulder', 0, -18, 8),
        ('left_elbow', 1, -20, 8), ('right_elbow', 1, 35, 10),
    ]),
    'crouching': (0.12, [
        ('left_hip', 0, -85, 18), ('right_hip', 0, -85, 18),
        ('left_knee', 0, 100, 20), ('right_knee', 0, 100, 20),
        ('left_ankle', 0, -10, 8), ('right_ankle', 0, -10, 8),
        ('spine_1', 0, 15, 8), ('left_shoulder', 0, -40, 20),
        ('right_shoulder', 0, -40, 20),
    ]),
    'gesturing': (0.18, [
        ('left_shoulder', 2, -10, 35), ('right_shoulder', 2, 10, 35),
        ('left_shoulder', 0, -40, 35), ('right_shoulder', 0, -40, 35),
        ('left_elbow', 1, -60, 40), ('right_elbow', 1, 60, 40),
    ]),
    # Anywhere inside the limits (uniform), for pose diversity.
    'free': (0.10, []),
}

# Right joint of every left joint, by name.
_MIRROR = {n: 'right_' + n[5:] for n in SMPL_24 if n.startswith('left_')}


def _full_limits() -> np.ndarray:
    """(23, 3, 4) limits of the body joints (SMPL 1..23), right mirrored."""
    table = np.zeros((NUM_SMPL_JOINTS - 1, 3, 4), dtype=np.float64)
    for name, limits in JOINT_LIMITS.items():
        table[SMPL_24.index(name) - 1] = limits
        if name in _MIRROR:
            mirrored = np.array(limits, dtype=np.float64)
            # y and z negate: swap and negate the range, negate the mean.
            for axis in (1, 2):
                lo, hi, mean, std = mirrored[axis]
                mirrored[axis] = (-hi, -lo, -mean, std)
            table[SMPL_24.index(_MIRROR[name]) - 1] = mirrored
    return table


class PosePrior:
    """Sample plausible SMPL body poses and shapes.

    Args:
        activities: probabilities of the activity modes (``ACTIVITIES``
            keys); defaults to those in ``ACTIVITIES``.
        betas_std: standard deviation of the shape coefficients.
        betas_clip: shape coefficients are clipped to ``[-clip, clip]``.
    """

    def __init__(self,
                 activities: Optional[Dict[str, float]] = None,
                 betas_std: float = 1.0,
                 betas_clip: float = 2.5) -> None:
        probs = activities or {k: v[0] for k, v in ACTIVITIES.items()}
        unknown = set(probs) - set(ACTIVITIES)
        if unknown:
            raise KeyError(f'unknown activities {sorted(unknown)}; known: '
                           f'{sorted(ACTIVITIES)}')
        self.activity_names = sorted(probs)
        p = np.array([probs[k] for k in self.activity_names], np.float64)
        self.activity_probs = p / p.sum()
        self.limits = _full_limits()
        self.betas_std = betas_std
        self.betas_clip = betas_clip

    @property
    def lower(self) -> np.ndarray:
        """(23, 3) lower angle limits in degrees (x, y, z per joint)."""
        return self.limits[..., 0]

    @property
    def upper(self) -> np.ndarray:
        """(23, 3) upper angle limits in degrees."""
        return self.limits[..., 1]

    def sample_angles(self,
                      rng: np.random.Generator,
                      activity: Optional[str] = None) -> np.ndarray:
        """Euler angles ``(23, 3)`` in degrees (x, y, z) inside the limits.

        Args:
            rng: random generator.
            activity: an ``ACTIVITIES`` key; drawn at random when None.
        """
        if activity is None:
            activity = self.activity_names[rng.choice(
                len(self.activity_names), p=self.activity_probs)]
        lo, hi = self.limits[..., 0], self.limits[..., 1]
        if activity == 'free':
            angles = rng.uniform(lo, hi)
            # Keep the limbs near straight more often than not.
            return np.clip(angles * rng.uniform(0.3, 1.0), lo, hi)
        mean = self.limits[..., 2].copy()
        std = self.limits[..., 3].copy()
        for name, axis, m, s in ACTIVITIES[activity][1]:
            mean[SMPL_24.index(name) - 1, axis] = m
            std[SMPL_24.index(name) - 1, axis] = s
        angles = np.clip(mean + std * rng.standard_normal(mean.shape), lo,
                         hi)
        if rng.random() < 0.5:
            angles = self.mirror_angles(angles)
        return angles

    def mirror_angles(self, angles: np.ndarray) -> np.ndarray:
        """Left-right mirror of ``(23, 3)`` Euler angles."""
        out = angles.copy()
        for left, right in _MIRROR.items():
            li, ri = SMPL_24.index(left) - 1, SMPL_24.index(right) - 1
            out[li], out[ri] = angles[ri], angles[li]
        out[:, 1:] *= -1
        return out

    def sample_body_pose(self,
                         rng: np.random.Generator,
                         activity: Optional[str] = None) -> np.ndarray:
        """A body pose ``(23, 3)`` in axis-angle (SMPL joints 1..23)."""
        return euler_to_axis_angle(self.sample_angles(rng, activity))

    def sample_betas(self, rng: np.random.Generator) -> np.ndarray:
        """Shape coefficients ``(10,)`` ~ N(0, std), clipped."""
        betas = rng.standard_normal(NUM_BETAS) * self.betas_std
        return np.clip(betas, -self.betas_clip, self.betas_clip)


def euler_to_axis_angle(angles: np.ndarray) -> np.ndarray:
    """``R = Rx(a) @ Ry(b) @ Rz(c)`` from degrees ``(..., 3)`` to axis-angle.

    ``R`` applies ``Rz`` first, in the parent's fixed frame: scipy's
    extrinsic ``'zyx'`` sequence with the angles reversed.
    """
    angles = np.asarray(angles, dtype=np.float64)
    flat = angles.reshape(-1, 3)[:, ::-1]
    rotvec = Rotation.from_euler('zyx', flat, degrees=True).as_rotvec()
    return rotvec.reshape(angles.shape)


def axis_angle_to_euler(rotvec: np.ndarray) -> np.ndarray:
    """Inverse of :func:`euler_to_axis_angle` (degrees, ``(..., 3)``)."""
    rotvec = np.asarray(rotvec, dtype=np.float64)
    angles = Rotation.from_rotvec(rotvec.reshape(-1, 3)).as_euler(
        'zyx', degrees=True)[:, ::-1]
    return angles.reshape(rotvec.shape)
