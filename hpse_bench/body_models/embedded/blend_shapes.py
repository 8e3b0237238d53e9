"""Blend shapes: shape directions and pose correctives.

- ``shapedirs``: 10 hand-designed directions ordered by magnitude (stature,
  girth, leg length, shoulder width, arm length, ...), each a displacement of
  about 1-7 cm per unit beta so ``betas ~ N(0, 1)`` gives plausible bodies.
- ``posedirs``: small pose correctives, linear in ``R_k - I`` as in SMPL
  (Loper et al., SIGGRAPH Asia 2015, Eq. 9): a bulge on the flexor side of a
  bent joint and a volume-keeping push outwards proportional to
  ``1 - cos(angle)``.
"""
from typing import List

import numpy as np

from hpse_bench.structures.conventions import (NUM_BETAS, NUM_SMPL_JOINTS,
                                               SMPL_PARENTS)
from .parts import Part
from .skeleton import JOINT_INDEX as _J
from .skeleton import children_of


def _smoothstep(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _radial(verts: np.ndarray, parts: List[Part],
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


def shapedirs(verts: np.ndarray, parts: List[Part], vertex_part: np.ndarray,
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


def posedirs(verts: np.ndarray, normals: np.ndarray, weights: np.ndarray,
             joints: np.ndarray) -> np.ndarray:
    """Pose correctives ``(V, 3, 207)`` linear in ``R_k - I`` (SMPL Eq. 9).

    For joint ``k`` with bone direction ``d`` the rotation moves the bone by
    ``(R - I) d``; vertices near the joint whose normal points that way
    (the flexor side) bulge out, and every nearby vertex moves out by
    ``1 - cos(angle) = -tr(R - I) / 2`` to keep the volume LBS loses.
    """
    children = children_of(SMPL_PARENTS)
    dirs = np.zeros((verts.shape[0], 3, 9 * (NUM_SMPL_JOINTS - 1)))
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
        dirs[:, :, 9 * (k - 1):9 * k] = block.reshape(-1, 3, 9)
    return dirs
