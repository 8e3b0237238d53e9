"""The 15 parts of the embedded body and how each is shaped.

Torso, neck, head, upper/lower arms, hands, upper/lower legs and feet around
the skeleton of :mod:`.skeleton`; the right side mirrors the left.
"""
from typing import List, Sequence, Tuple

import numpy as np

from .parts import Part, make_part, mirror_part
from .skeleton import JOINT_INDEX as _J
from .skeleton import SOLE_Y

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
    start=(0.085, SOLE_Y, -0.100),
    end=(0.130, SOLE_Y, 0.165),
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


def _vertical_part(name: str, spec: dict) -> Part:
    """A midline part along y (front = +z, side = x) from height keys."""
    y0, y1 = spec['ends']
    keys = [(y - y0, z, x, zc, 0.0) for y, x, z, zc in spec['keys']]
    return make_part(
        name,
        name,
        'mid', (0.0, y0, 0.0), (0.0, y1, 0.0), (0.0, 0.0, 1.0),
        keys,
        *spec['caps'],
        *spec['grid'],
        exponent=spec['exponent'])


def build_parts(joints: np.ndarray) -> List[Part]:
    """The 15 parts; their vertex counts sum to exactly 6890."""
    parts = [
        _vertical_part('torso', _TORSO),
        make_part('neck', 'neck', 'mid', _NECK['start'], _NECK['end'],
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
            make_part(
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
        make_part('left_foot', 'foot', 'left', foot['start'],
                  foot['end'], (0.0, 1.0, 0.0),
                  _keys_from_end(foot['keys'],
                                 length), *foot['caps'], *foot['grid']))
    parts.extend(left)
    parts.extend(mirror_part(p, 'right') for p in left)
    return parts
