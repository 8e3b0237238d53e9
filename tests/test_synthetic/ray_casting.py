"""Reference ray casting for the rasteriser and label tests.

One pixel at a time, Moeller-Trumbore ray/triangle intersection in float64
against every face: slow, simple, and independent of the z-buffer code.
"""
from typing import Optional, Sequence, Tuple

import numpy as np


class RayCaster:
    """Nearest hit of pixel rays over a set of meshes (camera frame).

    Args:
        meshes: ``(vertices (V, 3), faces (F, 3))`` pairs.
        focal_length: pixels.
        principal_point: ``(cx, cy)`` pixels; the ray of pixel ``(row, col)``
            goes through ``(col - cx) / f, (row - cy) / f, 1``.
    """

    def __init__(self, meshes: Sequence[Tuple[np.ndarray, np.ndarray]],
                 focal_length: float,
                 principal_point: Sequence[float]) -> None:
        tri = [np.asarray(v, np.float64)[np.asarray(f)] for v, f in meshes]
        self.mesh = np.concatenate(
            [np.full(len(t), m) for m, t in enumerate(tri)])
        self.face = np.concatenate([np.arange(len(t)) for t in tri])
        tri = np.concatenate(tri)
        self.a = tri[:, 0]
        self.e1 = tri[:, 1] - tri[:, 0]
        self.e2 = tri[:, 2] - tri[:, 0]
        self.focal = float(focal_length)
        self.center = np.asarray(principal_point, np.float64)

    def cast(self, row: float, col: float
             ) -> Optional[Tuple[int, int, float, np.ndarray]]:
        """``(mesh, face, depth, barycentrics (3,))`` of the nearest hit of
        the ray through pixel ``(row, col)``, or None."""
        d = np.array([(col - self.center[0]) / self.focal,
                      (row - self.center[1]) / self.focal, 1.0])
        p = np.cross(d, self.e2)
        det = np.einsum('fc,fc->f', self.e1, p)
        ok = np.abs(det) > 1e-14
        inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
        s = -self.a
        u = np.einsum('fc,fc->f', s, p) * inv
        q = np.cross(s, self.e1)
        v = (q @ d) * inv
        t = np.einsum('fc,fc->f', self.e2, q) * inv
        hit = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0)
        if not hit.any():
            return None
        k = np.flatnonzero(hit)[np.argmin(t[hit])]
        # The ray's direction has z = 1, so t is the depth.
        return (int(self.mesh[k]), int(self.face[k]), float(t[k]),
                np.array([1 - u[k] - v[k], u[k], v[k]]))

    def cast_image(self, size: Tuple[int, int]) -> Tuple[np.ndarray, ...]:
        """Mesh id, face id (-1 background) and depth maps of a whole
        image."""
        mesh = np.full(size, -1)
        face = np.full(size, -1)
        depth = np.full(size, np.inf)
        for row in range(size[0]):
            for col in range(size[1]):
                hit = self.cast(row, col)
                if hit is not None:
                    mesh[row, col], face[row, col], depth[row, col], _ = hit
        return mesh, face, depth
