"""DensePose charts and UV of the embedded surface.

``densepose_uv.npz``: the DensePose chart (``conventions.DENSEPOSE_CHARTS``)
of every face and U, V per face corner (Gueler et al., CVPR 2018).
"""
from typing import List, Tuple

import numpy as np

from hpse_bench.structures.conventions import DENSEPOSE_CHARTS
from .parts import Part

_CHART = {name: i + 1 for i, name in enumerate(DENSEPOSE_CHARTS)}


def _chart_of(part: Part, front: np.ndarray, x_sign: np.ndarray) -> np.ndarray:
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


def densepose_tables(verts: np.ndarray, faces: np.ndarray,
                     face_part: np.ndarray,
                     parts: List[Part]) -> Tuple[np.ndarray, ...]:
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
