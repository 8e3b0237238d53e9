"""Joining the parts into one closed surface, and the face details.

Parts are joined by connected sums (remove one triangle on each side, add a
6-triangle tube) placed where the parts overlap, so the union is one closed
genus-0 surface with ``F = 2V - 4`` like SMPL's and the joins are hidden
inside the body.
"""
from typing import Dict, List, Tuple

import numpy as np

from .parts import Part


def _pole_face(part: Part, end: bool) -> int:
    """Index (within the part) of a face of the start/end pole fan."""
    pole = part.verts.shape[0] - 1 if end else 0
    rows = np.where((part.faces == pole).any(1))[0]
    return int(rows[0])


def _pierce_face(part: Part, other: Part) -> int:
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


def assemble(parts: List[Part]) -> Tuple[np.ndarray, ...]:
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


# Face details: nose, eyes, ears, chin.
def _ring_vertex(part: Part, t: float, theta: float) -> int:
    """Index (within the part) of the ring vertex nearest (t, theta)."""
    ring = np.argmin(np.abs(part.t[1:-1:part.n_seg] - t))
    dth = np.angle(
        np.exp(1j * (2 * np.pi * np.arange(part.n_seg) / part.n_seg - theta)))
    return 1 + ring * part.n_seg + int(np.argmin(np.abs(dth)))


def sculpt_head(head: Part) -> Dict[str, int]:
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


def vertex_normals(verts: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Unit area-weighted vertex normals of a triangle mesh."""
    fn = np.cross(verts[faces[:, 1]] - verts[faces[:, 0]],
                  verts[faces[:, 2]] - verts[faces[:, 0]])
    n = np.zeros_like(verts)
    for c in range(3):
        np.add.at(n, faces[:, c], fn)
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
