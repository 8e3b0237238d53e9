"""Body parts: closed capsule-like triangulated spheres around an axis.

Each part is a sphere mesh (``F = 2V - 4``) from a start pole to an end pole
whose cross-sections follow a profile along the axis; parts are joined into
one surface by :mod:`.surface`.
"""
from dataclasses import dataclass
from typing import Callable, Sequence, Tuple

import numpy as np
from scipy.interpolate import PchipInterpolator


@dataclass
class Part:
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


def _cap_factor(t: np.ndarray, c0: float, c1: float) -> np.ndarray:
    """Radius factor of the rounded ends (quarter circles of axial lengths
    ``c0`` and ``c1``, as fractions of the part's length)."""
    out = np.ones_like(t)
    a = t < c0
    out[a] = np.sqrt(np.clip(1 - ((c0 - t[a]) / c0)**2, 0, 1))
    b = t > 1 - c1
    out[b] = np.sqrt(np.clip(1 - ((t[b] - 1 + c1) / c1)**2, 0, 1))
    return out


def _ring_positions(profile: Callable, cap: Callable, length: float,
                    n_ring: int) -> np.ndarray:
    """Axial fractions of ``n_ring`` rings equally spaced in arc length
    along the (axial, radius) profile."""
    fine = np.linspace(0.0, 1.0, 4001)
    pr = profile(fine)
    radius = 0.5 * (pr[:, 0] + pr[:, 1]) * cap(fine)
    arc = np.concatenate(
        [[0.0],
         np.cumsum(np.hypot(np.diff(fine) * length, np.diff(radius)))])
    return np.interp(
        np.arange(1, n_ring + 1) / (n_ring + 1) * arc[-1], arc, fine)


def _sphere_faces(n_seg: int, n_ring: int) -> np.ndarray:
    """Faces of a sphere mesh: pole 0, ``n_ring`` rings of ``n_seg``
    vertices, the last pole; fans at the poles, quads split in two."""
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
    return np.concatenate(faces).astype(np.int64)


def make_part(name: str,
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
              exponent: float = 2.0) -> Part:
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
        return _cap_factor(t, cap0 / length, cap1 / length)

    t_ring = _ring_positions(profile, cap, length, n_ring)
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

    faces = _sphere_faces(n_seg, n_ring)
    t_all = np.concatenate([[0.0], np.repeat(t_ring, n_seg), [1.0]])
    th = np.where(theta > np.pi, theta - 2 * np.pi, theta)
    theta_all = np.concatenate([[np.nan], np.tile(th, n_ring), [np.nan]])
    part = Part(name, kind, side, verts, faces, t_all, theta_all, start, axis,
                length, u, w, profile, n_seg, n_ring)
    if signed_volume(verts, faces) < 0:
        part.faces = faces[:, ::-1].copy()
    return part


def signed_volume(verts: np.ndarray, faces: np.ndarray) -> float:
    """Volume enclosed by a closed mesh, positive when faces point out."""
    a, b, c = verts[faces[:, 0]], verts[faces[:, 1]], verts[faces[:, 2]]
    return float(np.einsum('ij,ij->i', a, np.cross(b, c)).sum() / 6.0)


def mirror_part(part: Part, side: str) -> Part:
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

    return Part(
        part.name.replace('left', side),
        part.kind, side, part.verts * m, part.faces[:, ::-1].copy(),
        part.t.copy(), -part.theta, part.start * m, part.axis * m, part.length,
        part.u * m, -(part.w * m), profile, part.n_seg, part.n_ring)
