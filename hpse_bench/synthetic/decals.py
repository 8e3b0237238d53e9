"""Decals: shapes painted over a person's base colours, per pixel.

A decal is a region of the body surface given in rest-pose (T-pose)
coordinates (SMPL frame: +x the subject's left, +y up, +z front) and,
where it matters, restricted to some DensePose charts (front or back of the
torso, one forearm). Evaluated at the rest-pose position of every pixel,
decals have sharp edges whatever the mesh resolution and follow the body as
it moves. They carry what tells the front of a person from the back and
the left from the right: hair and face, front and back garment designs, a
strap across one shoulder, a watch on one wrist (``wardrobe`` draws them).
"""
from dataclasses import dataclass, field
from typing import Callable, Dict

import numpy as np

from hpse_bench.structures.conventions import DENSEPOSE_CHARTS


def chart_ids(*names: str) -> np.ndarray:
    """DensePose chart ids (1..24) of exactly these chart names."""
    return np.array([DENSEPOSE_CHARTS.index(n) + 1 for n in names])


HEAD = chart_ids('head_left', 'head_right')
TORSO_FRONT = chart_ids('torso_front')
TORSO_BACK = chart_ids('torso_back')
TORSO = chart_ids('torso_front', 'torso_back')
HIP = chart_ids('torso_front', 'torso_back', 'upper_leg_left_front',
                'upper_leg_left_back', 'upper_leg_right_front',
                'upper_leg_right_back')
FOREARM = {
    1: chart_ids('lower_arm_left_front', 'lower_arm_left_back'),
    -1: chart_ids('lower_arm_right_front', 'lower_arm_right_back'),
}


@dataclass
class Decal:
    """One painted shape.

    Attributes:
        kind: a ``PAINTERS`` key.
        color: ``(3,)`` RGB in ``[0, 1]``.
        params: the shape's numbers (metres, rest pose), as the painter
            reads them.
        shade: ``(3,)`` second colour where the painter uses one (hair
            strands, a cap's brim), else ``color``.
    """
    kind: str
    color: np.ndarray
    params: Dict[str, float] = field(default_factory=dict)
    shade: np.ndarray = None

    def __post_init__(self) -> None:
        self.color = np.asarray(self.color, np.float32)
        self.shade = (
            self.color if self.shade is None else np.asarray(
                self.shade, np.float32))


def _head_angle(p: np.ndarray, q: Dict[str, float]) -> np.ndarray:
    """Angle (radians, ``[0, pi]``) around the head's vertical axis from the
    front of the face."""
    return np.abs(np.arctan2(p[:, 0] - q['cx'], p[:, 2] - q['cz']))


def _smoothstep(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _hair(p: np.ndarray, q: Dict[str, float]) -> np.ndarray:
    """Hair above a hairline that runs from the forehead (``front_y``) down
    to the nape (``back_y``) between the angles ``a0`` and ``a1`` from the
    front."""
    blend = _smoothstep(_head_angle(p, q), q['a0'], q['a1'])
    line = q['front_y'] + (q['back_y'] - q['front_y']) * blend
    return p[:, 1] > line


def _cap(p: np.ndarray, q: Dict[str, float]) -> np.ndarray:
    """A cap's crown above ``y``; its brim is the ``_brim`` decal."""
    return p[:, 1] > q['y']


def _brim(p: np.ndarray, q: Dict[str, float]) -> np.ndarray:
    """The cap's peak: a band just under the crown, at the front."""
    front = _head_angle(p, q) < q['half_angle']
    return front & (p[:, 1] > q['y'] - q['height']) & (p[:, 1] <= q['y'])


def _ellipses(p: np.ndarray, q: Dict[str, float]) -> np.ndarray:
    """Ellipses centred at ``(x, y)`` and, when ``mirror``, at ``(-x, y)``
    (eyes, brows), on the front half (``z > z_min``)."""
    out = np.zeros(len(p), bool)
    for sign in ((1.0, -1.0) if q.get('mirror') else (1.0, )):
        dx = (p[:, 0] - sign * q['x']) / q['rx']
        dy = (p[:, 1] - q['y']) / q['ry']
        out |= dx * dx + dy * dy < 1.0
    return out & (p[:, 2] > q['z_min'])


def _box(p: np.ndarray, q: Dict[str, float]) -> np.ndarray:
    """``|x - x0| < hx`` and ``y0 < y < y1``."""
    return ((np.abs(p[:, 0] - q['x']) < q['hx']) & (p[:, 1] > q['y0']) &
            (p[:, 1] < q['y1']))


def _vee(p: np.ndarray, q: Dict[str, float]) -> np.ndarray:
    """A V opening down to ``(0, y0)``, ``slope`` wide per metre up."""
    return (p[:, 1] > q['y0']) & (
        np.abs(p[:, 0]) < (p[:, 1] - q['y0']) * q['slope'])


def _segment(p: np.ndarray, q: Dict[str, float]) -> np.ndarray:
    """A band of half-width ``w`` along the segment ``(x0, y0)-(x1, y1)``
    in the x-y plane (a strap over the shoulder, front and back alike)."""
    a = np.array([q['x0'], q['y0']])
    d = np.array([q['x1'], q['y1']]) - a
    rel = p[:, :2] - a
    t = np.clip(rel @ d / (d @ d), 0.0, 1.0)
    gap = rel - t[:, None] * d
    return np.einsum('nc,nc->n', gap, gap) < q['w']**2


#: kind -> (charts the decal may cover, or None for any; shape test).
PAINTERS: Dict[str, tuple] = {
    'hair': (HEAD, _hair),
    'cap': (HEAD, _cap),
    'brim': (HEAD, _brim),
    'face': (HEAD, _ellipses),
    'front': (TORSO_FRONT, None),
    'back': (TORSO_BACK, None),
    'strap': (TORSO, _segment),
    'bag': (HIP, _box),
    'watch_left': (FOREARM[1], _box),
    'watch_right': (FOREARM[-1], _box),
}
#: Shapes a garment decal ('front', 'back') may take.
SHAPES: Dict[str, Callable[[np.ndarray, Dict[str, float]], np.ndarray]] = {
    'box': _box,
    'vee': _vee,
    'ellipse': _ellipses,
}


def paint_decals(decals: list, out: np.ndarray, chart: np.ndarray,
                 rest_points: np.ndarray, noise: np.ndarray) -> None:
    """Paint ``decals`` in order over the base colours ``out`` (in place).

    Args:
        decals: :class:`Decal` list; later ones cover earlier ones.
        out: ``(N, 3)`` albedo of the pixels.
        chart: ``(N,)`` DensePose chart (1..24) of each pixel.
        rest_points: ``(N, 3)`` rest-pose position of each pixel.
        noise: ``(N,)`` smooth noise in ``[-1, 1]`` (texture within the
            decal: hair strands, fabric grain).
    """
    for decal in decals:
        charts, shape = PAINTERS[decal.kind]
        if shape is None:
            shape = SHAPES[decal.params['shape']]
        sel = np.flatnonzero(np.isin(chart, charts))
        if len(sel) == 0:
            continue
        sel = sel[shape(rest_points[sel], decal.params)]
        if len(sel) == 0:
            continue
        t = (0.5 + 0.5 * noise[sel])[:, None].astype(np.float32)
        out[sel] = decal.color * (1 - t) + decal.shade * t
