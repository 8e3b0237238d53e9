"""CPU z-buffer rasterisation of triangle meshes under a perspective camera.

Several meshes (people and occluders) share one z-buffer; for every pixel the
rasteriser reports which mesh and face is nearest to the camera, its depth and
the perspective-correct barycentric coordinates of the pixel inside that face.
Everything is vectorised: each front-facing face expands to the pixels of its
bounding box (``numpy.repeat``), the edge functions keep the pixels inside
it, and the z-test is one ``scatter_reduce(amin)`` over a 64-bit key that
packs the depth (high 32 bits) and the face index (low 32 bits), so that the
nearest face wins and ties are broken by face index, deterministically.

Conventions (those of OpenCV and mmpose): the camera looks along +z with x to
the right and y down; a point projects to ``u = fx * x / z + cx``,
``v = fy * y / z + cy``; pixel ``(row, col)`` samples the image point
``(u, v) = (col, row)``, i.e. pixel centres lie at integer coordinates.
"""
from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from scipy import sparse

# Key of an empty pixel: larger than any packed (depth, face) key.
_EMPTY_KEY = np.iinfo(np.int64).max


@dataclass
class Fragments:
    """Per-pixel result of :func:`rasterize_meshes`.

    Attributes:
        mesh_id: ``(H, W)`` int32, index of the nearest mesh, -1 background.
        face_id: ``(H, W)`` int32, index of the nearest face inside its mesh,
            -1 background.
        depth: ``(H, W)`` float32, camera-frame z of the surface, ``inf`` on
            the background.
        bary: ``(H, W, 3)`` float32 perspective-correct barycentric
            coordinates of the pixel centre in its face (0 on background):
            the surface point is ``sum_i bary[..., i] * face_vertex_i``.
    """
    mesh_id: np.ndarray
    face_id: np.ndarray
    depth: np.ndarray
    bary: np.ndarray

    @property
    def foreground(self) -> np.ndarray:
        """``(H, W)`` bool mask of pixels covered by any mesh."""
        return self.mesh_id >= 0


def rasterize_meshes(meshes: Sequence[Tuple[np.ndarray, np.ndarray]],
                     focal_length: Union[float, Sequence[float]],
                     principal_point: Sequence[float],
                     image_size: Tuple[int, int],
                     cull_backfaces: bool = True,
                     near: float = 1e-3) -> Fragments:
    """Rasterise meshes given in the camera frame into one z-buffer.

    Args:
        meshes: ``(vertices (V, 3), faces (F, 3))`` pairs, vertices in the
            camera frame (metres), faces as vertex indices.
        focal_length: ``f`` or ``(fx, fy)`` in pixels.
        principal_point: ``(cx, cy)`` in pixels.
        image_size: ``(H, W)``.
        cull_backfaces: drop faces whose outward normal (right-handed
            winding ``(v1 - v0) x (v2 - v0)``) points away from the camera.
            Valid for closed, outward-oriented meshes only; it saves about
            half the work and never changes the result for such meshes.
        near: faces with a vertex closer than this depth are dropped (no
            clipping; scenes keep everything in front of the camera).

    Returns:
        :class:`Fragments` of the nearest surface at every pixel.
    """
    height, width = int(image_size[0]), int(image_size[1])
    if height <= 0 or width <= 0:
        raise ValueError(f'image_size must be positive, got {image_size}')
    if len(meshes) == 0:
        raise ValueError('rasterize_meshes needs at least one mesh')
    # The pinhole model of cameras.perspective_projection, in float64 numpy
    # because the rest of the rasteriser is numpy.
    fx, fy = np.broadcast_to(np.asarray(focal_length, dtype=np.float64), (2, ))
    cx, cy = np.asarray(principal_point, dtype=np.float64)
    corners, mesh_of_face, face_in_mesh = _project_faces(
        meshes, (fx, fy), (cx, cy), near)
    faces = _setup_faces(corners, (height, width), cull_backfaces)
    if faces is None:
        return _empty_fragments(height, width)
    pixel, key = _face_pixels(faces)
    zbuf = torch.full((height * width, ), _EMPTY_KEY, dtype=torch.int64)
    zbuf.scatter_reduce_(
        0, torch.from_numpy(pixel), torch.from_numpy(key), reduce='amin')
    zbuf = zbuf.numpy()

    covered = np.flatnonzero(zbuf != _EMPTY_KEY)
    win = (zbuf[covered] & 0xFFFFFFFF).astype(np.int64)
    depth, bary = _perspective_barycentrics(faces, win, covered % width,
                                            covered // width)
    frags = _empty_fragments(height, width)
    glob = faces['index'][win]
    frags.mesh_id.reshape(-1)[covered] = mesh_of_face[glob]
    frags.face_id.reshape(-1)[covered] = face_in_mesh[glob]
    frags.depth.reshape(-1)[covered] = depth
    frags.bary.reshape(-1, 3)[covered] = bary
    return frags


def _project_faces(meshes: Sequence[Tuple[np.ndarray, np.ndarray]],
                   focal: Tuple[float, float], center: Tuple[float, float],
                   near: float) -> tuple:
    """Projected corners of every face of every mesh in front of ``near``.

    Returns:
        ``(x, y, iz)``, each ``(3, F)``: pixel coordinates and inverse depth
        of the corners; ``(F,)`` mesh index and ``(F,)`` face index inside
        the mesh of every face.
    """
    fx, fy = focal
    cx, cy = center
    xs, ys, izs, mesh_of_face, face_in_mesh = [], [], [], [], []
    for mesh_index, (vertices, faces) in enumerate(meshes):
        vertices = np.asarray(vertices, dtype=np.float64)
        faces = np.asarray(faces, dtype=np.int64)
        if vertices.ndim != 2 or vertices.shape[1] != 3:
            raise ValueError(f'mesh {mesh_index}: vertices must be (V, 3), '
                             f'got {vertices.shape}')
        if faces.ndim != 2 or faces.shape[1] != 3:
            raise ValueError(f'mesh {mesh_index}: faces must be (F, 3), '
                             f'got {faces.shape}')
        z = vertices[:, 2]
        # Vertices behind the near plane get a harmless depth; their faces
        # are dropped below.
        iz = 1.0 / np.where(z > near, z, 1.0)
        xv = vertices[:, 0] * iz * fx + cx
        yv = vertices[:, 1] * iz * fy + cy
        t = faces.T
        if z.min() > near:
            kept = np.arange(len(faces), dtype=np.int32)
        else:
            kept = np.flatnonzero((z[t] > near).all(0)).astype(np.int32)
            t = t[:, kept]
        xs.append(xv[t])
        ys.append(yv[t])
        izs.append(iz[t])
        face_in_mesh.append(kept)
        mesh_of_face.append(np.full(len(kept), mesh_index, dtype=np.int32))
    if len(meshes) == 1:
        corners = (xs[0], ys[0], izs[0])
    else:
        corners = tuple(np.concatenate(a, axis=1) for a in (xs, ys, izs))
    return (corners, np.concatenate(mesh_of_face),
            np.concatenate(face_in_mesh))


def _setup_faces(corners: tuple, size: Tuple[int, int],
                 cull_backfaces: bool) -> Optional[Dict[str, np.ndarray]]:
    """Per-face constants of the faces that cover a pixel centre: their
    clipped pixel bounding box and the linear maps from a pixel to its
    screen-space barycentrics. None when no face is left."""
    height, width = size
    (x0, x1, x2), (y0, y1, y2), (iz0, iz1, iz2) = corners
    # Twice the signed screen area. For z > 0 its sign is that of
    # det[v0, v1, v2] = v0 . ((v1 - v0) x (v2 - v0)): negative for a face
    # whose outward normal points towards the camera.
    e1x, e1y, e2x, e2y = x1 - x0, y1 - y0, x2 - x0, y2 - y0
    area = e1x * e2y - e2x * e1y
    ok = area < -1e-12 if cull_backfaces else np.abs(area) > 1e-12
    # Pixels whose centre may lie in the face: the bounding box, clipped.
    xmin = np.ceil(np.minimum(np.minimum(x0, x1), x2))
    xmax = np.floor(np.maximum(np.maximum(x0, x1), x2))
    ymin = np.ceil(np.minimum(np.minimum(y0, y1), y2))
    ymax = np.floor(np.maximum(np.maximum(y0, y1), y2))
    np.maximum(xmin, 0, out=xmin)
    np.minimum(xmax, width - 1, out=xmax)
    np.maximum(ymin, 0, out=ymin)
    np.minimum(ymax, height - 1, out=ymax)
    ok &= (xmax >= xmin) & (ymax >= ymin)
    sel = np.flatnonzero(ok)
    if len(sel) == 0:
        return None
    x0, y0, e1x, e1y, e2x, e2y, iz0, iz1, iz2, area, xmin, xmax, ymin, ymax = (
        a[sel] for a in (x0, y0, e1x, e1y, e2x, e2y, iz0, iz1, iz2, area, xmin,
                         xmax, ymin, ymax))
    # With d = p - v0, the screen-space barycentrics of corners 1 and 2 are
    # w1 = (d x e2) / area and w2 = (e1 x d) / area (relative coordinates
    # avoid cancellation); w0 = 1 - w1 - w2, and 1/z = sum_i w_i / z_i.
    inv_area = 1.0 / area
    return dict(
        index=sel,
        x0=x0,
        y0=y0,
        a1=e2y * inv_area,
        b1=-e2x * inv_area,
        a2=-e1y * inv_area,
        b2=e1x * inv_area,
        iz0=iz0,
        iz1=iz1,
        iz2=iz2,
        dz1=iz1 - iz0,
        dz2=iz2 - iz0,
        xmin=xmin,
        xmax=xmax,
        ymin=ymin,
        ymax=ymax,
        width=np.int64(size[1]))


def _face_pixels(
        faces: Dict[str, np.ndarray]) -> Tuple[np.ndarray, np.ndarray]:
    """Every (face, pixel centre inside it) pair: the flat pixel index and
    the z-test key, which packs the depth (high 32 bits) and the face
    (low 32 bits) so that the nearest face wins and ties go to the lower
    face index."""
    xmin, xmax, ymin, ymax = (
        faces[k] for k in ('xmin', 'xmax', 'ymin', 'ymax'))
    # One candidate per (face, pixel of its bounding box).
    box_w = (xmax - xmin + 1).astype(np.int64)
    counts = box_w * (ymax - ymin + 1).astype(np.int64)
    local = np.repeat(np.arange(len(xmin), dtype=np.int64), counts)
    offset = np.arange(
        len(local), dtype=np.int64) - np.repeat(
            np.cumsum(counts) - counts, counts)
    row, col = np.divmod(offset, box_w[local])
    px = xmin[local] + col
    py = ymin[local] + row
    dx = px - faces['x0'][local]
    dy = py - faces['y0'][local]
    w1 = faces['a1'][local] * dx + faces['b1'][local] * dy
    w2 = faces['a2'][local] * dx + faces['b2'][local] * dy
    inside = (w1 >= 0) & (w2 >= 0) & (w1 + w2 <= 1)
    local, px, py = local[inside], px[inside], py[inside]
    w1, w2 = w1[inside], w2[inside]
    depth = 1.0 / (
        faces['iz0'][local] + w1 * faces['dz1'][local] +
        w2 * faces['dz2'][local])
    pixel = py.astype(np.int64) * faces['width'] + px.astype(np.int64)
    # Positive float32 bit patterns order like the floats themselves.
    depth_bits = depth.astype(np.float32).view(np.int32).astype(np.int64)
    return pixel, (depth_bits << 32) | local


def _perspective_barycentrics(faces: Dict[str, np.ndarray], win: np.ndarray,
                              px: np.ndarray, py: np.ndarray) -> tuple:
    """Depth and perspective-correct barycentrics of the faces ``win`` at
    the pixel centres ``(px, py)``: ``b_i`` proportional to ``w_i / z_i``.
    """
    dx = px - faces['x0'][win]
    dy = py - faces['y0'][win]
    w1 = faces['a1'][win] * dx + faces['b1'][win] * dy
    w2 = faces['a2'][win] * dx + faces['b2'][win] * dy
    persp = np.stack([(1.0 - w1 - w2) * faces['iz0'][win],
                      w1 * faces['iz1'][win], w2 * faces['iz2'][win]],
                     axis=1)
    inv_depth = persp.sum(1)
    persp /= inv_depth[:, None]
    return 1.0 / inv_depth, persp


def _empty_fragments(height: int, width: int) -> Fragments:
    return Fragments(
        mesh_id=np.full((height, width), -1, dtype=np.int32),
        face_id=np.full((height, width), -1, dtype=np.int32),
        depth=np.full((height, width), np.inf, dtype=np.float32),
        bary=np.zeros((height, width, 3), dtype=np.float32))


def vertex_face_incidence(faces: np.ndarray,
                          num_vertices: int) -> sparse.csr_matrix:
    """``(V, F)`` sparse matrix with a 1 where a vertex is a face corner."""
    faces = np.asarray(faces, dtype=np.int64)
    rows = faces.reshape(-1)
    cols = np.repeat(np.arange(len(faces)), 3)
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)),
                             shape=(num_vertices, len(faces)))


def vertex_normals(
        vertices: np.ndarray,
        faces: np.ndarray,
        incidence: Optional[sparse.csr_matrix] = None) -> np.ndarray:
    """Area-weighted unit vertex normals of an outward-oriented mesh.

    Args:
        vertices: ``(V, 3)``.
        faces: ``(F, 3)``.
        incidence: ``vertex_face_incidence(faces, V)``, to reuse across
            calls.

    Returns:
        ``(V, 3)`` unit normals, in the floating type of ``vertices``.
    """
    vertices = np.asarray(vertices)
    if not np.issubdtype(vertices.dtype, np.floating):
        vertices = vertices.astype(np.float64)
    if incidence is None:
        incidence = vertex_face_incidence(faces, len(vertices))
    v0, v1, v2 = (vertices[faces[:, k]] for k in range(3))
    e1, e2 = v1 - v0, v2 - v0
    # Cross product, written out (np.cross is slow on small rows).
    face_normal = np.stack([
        e1[:, 1] * e2[:, 2] - e1[:, 2] * e2[:, 1], e1[:, 2] * e2[:, 0] -
        e1[:, 0] * e2[:, 2], e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    ],
                           axis=1)
    normals = incidence @ face_normal
    norm = np.sqrt(np.einsum('vc,vc->v', normals, normals))
    return (normals / np.maximum(norm, 1e-12)[:, None]).astype(
        vertices.dtype, copy=False)
