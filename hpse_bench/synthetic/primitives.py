"""Closed, outward-oriented meshes of simple solids (boxes, ellipsoids),
the occluders the scenes put in front of people."""
from typing import List, Sequence, Tuple

import numpy as np


def box_mesh(center: Sequence[float],
             half_extent: Sequence[float],
             rotation: np.ndarray = None) -> Tuple[np.ndarray, np.ndarray]:
    """A closed, outward-oriented box: 8 vertices, 12 faces.

    Args:
        center: ``(3,)`` centre.
        half_extent: ``(3,)`` half side lengths along the box axes.
        rotation: optional ``(3, 3)`` box-to-camera rotation.
    """
    signs = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1)
                      for z in (-1, 1)],
                     dtype=np.float64)
    vertices = signs * np.asarray(half_extent, dtype=np.float64)
    if rotation is not None:
        vertices = vertices @ np.asarray(rotation).T
    vertices = vertices + np.asarray(center, dtype=np.float64)
    # Vertex index = 4 * (x > 0) + 2 * (y > 0) + (z > 0); outward winding.
    faces = np.array(
        [
            [0, 1, 3],
            [0, 3, 2],  # -x
            [4, 6, 7],
            [4, 7, 5],  # +x
            [0, 4, 5],
            [0, 5, 1],  # -y
            [2, 3, 7],
            [2, 7, 6],  # +y
            [0, 2, 6],
            [0, 6, 4],  # -z
            [1, 5, 7],
            [1, 7, 3],  # +z
        ],
        dtype=np.int64)
    return vertices, faces


def ellipsoid_mesh(center: Sequence[float],
                   radii: Sequence[float],
                   rotation: np.ndarray = None,
                   subdivisions: int = 2) -> Tuple[np.ndarray, np.ndarray]:
    """A closed, outward-oriented ellipsoid from a subdivided icosahedron.

    Args:
        center: ``(3,)`` centre.
        radii: ``(3,)`` semi-axes.
        rotation: optional ``(3, 3)`` rotation applied before translation.
        subdivisions: number of 4-way subdivisions (2 gives 320 faces).
    """
    vertices, faces = _unit_icosphere(subdivisions)
    vertices = vertices * np.asarray(radii, dtype=np.float64)
    if rotation is not None:
        vertices = vertices @ np.asarray(rotation).T
    return vertices + np.asarray(center, dtype=np.float64), faces


_ICOSPHERES = {}


def _unit_icosphere(subdivisions: int) -> Tuple[np.ndarray, np.ndarray]:
    if subdivisions in _ICOSPHERES:
        return _ICOSPHERES[subdivisions]
    t = (1.0 + 5.0**0.5) / 2.0
    verts: List[List[float]] = [[-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0],
                                [0, -1, t], [0, 1, t], [0, -1, -t], [0, 1, -t],
                                [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1]]
    faces = [[0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11],
             [1, 5, 9], [5, 11, 4], [11, 10, 2], [10, 7, 6], [7, 1, 8],
             [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8], [3, 8, 9], [4, 9, 5],
             [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1]]
    for _ in range(subdivisions):
        midpoint = {}

        def mid(a: int, b: int) -> int:
            key = (min(a, b), max(a, b))
            if key not in midpoint:
                verts.append([(verts[a][k] + verts[b][k]) / 2
                              for k in range(3)])
                midpoint[key] = len(verts) - 1
            return midpoint[key]

        new_faces = []
        for a, b, c in faces:
            ab, bc, ca = mid(a, b), mid(b, c), mid(c, a)
            new_faces += [[a, ab, ca], [b, bc, ab], [c, ca, bc], [ab, bc, ca]]
        faces = new_faces
    v = np.asarray(verts, dtype=np.float64)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    f = np.asarray(faces, dtype=np.int64)
    # Make the winding outward: the normal must point away from the centre.
    tri = v[f]
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    inward = np.einsum('fi,fi->f', normal, tri.mean(1)) < 0
    f[inward] = f[inward][:, ::-1]
    _ICOSPHERES[subdivisions] = (v, f)
    return v, f
