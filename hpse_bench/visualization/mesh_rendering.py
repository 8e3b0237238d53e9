"""CPU drawing of triangle meshes with the painter's algorithm.

A mesh is given in the frame of a pinhole camera (x right, y down, z
forward, metres) together with the camera matrix ``K`` (3, 3) that maps that
frame to the pixels of the picture: ``p = K X / Z``. Faces are filled with
OpenCV from the farthest to the nearest, each with one flat-shaded colour.
Drawing order only approximates visibility (two faces that overlap and
interleave in depth may be drawn in the wrong order), which is invisible on
a closed body mesh at the sizes drawn here and needs no z-buffer.

Several people share one drawing order. Each comes with its own camera (the
camera of its crop), so depths are compared in a camera of unit focal
length: a point at depth ``Z`` seen with focal length ``f`` pixels appears
as large as one at ``Z / f`` seen with focal length 1.
"""
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

Mesh = Tuple[np.ndarray, np.ndarray]  # (vertices (N, 3), K (3, 3))

# Sub-pixel precision of the polygon corners (OpenCV's ``shift``).
_SHIFT = 4
_NEAR = 1e-6


def project_points(points: np.ndarray, intrinsics: np.ndarray) -> np.ndarray:
    """Pixels ``(N, 2)`` of camera-frame points ``(N, 3)``: ``K X / Z``."""
    points = np.asarray(points, dtype=np.float64)
    proj = points @ np.asarray(intrinsics, dtype=np.float64).T
    return proj[:, :2] / proj[:, 2:3]


def focal_scale(intrinsics: np.ndarray) -> float:
    """Pixels per unit of ``X / Z``: ``sqrt(|det K[:2, :2]|)`` (the focal
    length, also when the crop was rotated)."""
    k = np.asarray(intrinsics, dtype=np.float64)
    return float(np.sqrt(abs(np.linalg.det(k[:2, :2]))))


def rotate_about_vertical(vertices: np.ndarray,
                          angle: float,
                          centre: Optional[np.ndarray] = None) -> np.ndarray:
    """Turn camera-frame points about the camera's vertical (y) axis.

    Args:
        vertices: ``(N, 3)``.
        angle: degrees; 90 shows the body's side (its left side when the
            body faces the camera).
        centre: ``(3,)`` point on the axis; defaults to the middle of the
            points' bounding box.

    Returns:
        ``(N, 3)`` turned points.
    """
    vertices = np.asarray(vertices, dtype=np.float64)
    if centre is None:
        centre = (vertices.min(0) + vertices.max(0)) / 2.0
    theta = np.deg2rad(angle)
    cos, sin = np.cos(theta), np.sin(theta)
    rot = np.array([[cos, 0.0, sin], [0.0, 1.0, 0.0], [-sin, 0.0, cos]])
    return (vertices - centre) @ rot.T + centre


def face_shading(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Brightness ``(F,)`` in ``[0.3, 1]`` of each face.

    Two-sided Lambertian light from the camera plus a little from above, so
    that a face seen edge-on is dark and one facing the viewer bright,
    whichever way the faces are wound.
    """
    tri = vertices[faces]
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    norm = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = normals / np.maximum(norm, 1e-12)
    light = np.array([0.0, -0.35, -1.0])
    light /= np.linalg.norm(light)
    return 0.3 + 0.7 * np.abs(normals @ light)


def _mesh_faces(
        vertices: np.ndarray, intrinsics: np.ndarray, faces: np.ndarray,
        color: Sequence[int]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Corners ``(F, 3, 2)``, unit-focal depths ``(F,)`` and colours
    ``(F, 3)`` of the faces of one mesh in front of the camera."""
    vertices = np.asarray(vertices, dtype=np.float64)
    front = (vertices[faces, 2] > _NEAR).all(axis=1)
    faces = faces[front]
    pixels = project_points(vertices, intrinsics)
    depth = vertices[:, 2] / focal_scale(intrinsics)
    shade = face_shading(vertices, faces)
    colors = shade[:, None] * np.asarray(color, dtype=np.float64)[None]
    return pixels[faces], depth[faces].mean(axis=1), colors


def render_meshes(image: np.ndarray,
                  meshes: Sequence[Mesh],
                  faces: np.ndarray,
                  colors: Sequence[Sequence[int]],
                  alpha: float = 1.0) -> Tuple[np.ndarray, np.ndarray]:
    """Draw shaded meshes over an image.

    Args:
        image: ``(H, W, 3)`` uint8 picture (any channel order; ``colors``
            must use the same).
        meshes: ``(vertices (N, 3), K (3, 3))`` per mesh, in the camera
            frame of ``K``; faces with a vertex at ``Z <= 0`` are skipped.
        faces: ``(F, 3)`` vertex ids shared by the meshes.
        colors: one base colour per mesh.
        alpha: opacity of the meshes over the image.

    Returns:
        ``(picture, mask)``: the drawn ``(H, W, 3)`` uint8 picture and the
        ``(H, W)`` bool mask of the pixels covered by a mesh.
    """
    if len(colors) < len(meshes):
        raise ValueError(f'{len(meshes)} meshes but {len(colors)} colours')
    height, width = image.shape[:2]
    faces = np.asarray(faces, dtype=np.int64)
    corners: List[np.ndarray] = []
    depths: List[np.ndarray] = []
    face_colors: List[np.ndarray] = []
    for (vertices, intrinsics), color in zip(meshes, colors):
        c, d, fc = _mesh_faces(vertices, intrinsics, faces, color)
        corners.append(c)
        depths.append(d)
        face_colors.append(fc)
    layer = image.copy()
    mask = np.zeros((height, width), dtype=np.uint8)
    if not corners:
        return image.copy(), mask.astype(bool)
    corners_all = np.concatenate(corners)
    depth_all = np.concatenate(depths)
    colors_all = np.concatenate(face_colors)
    # Faces wholly outside the picture cost time and draw nothing.
    lo, hi = corners_all.min(axis=1), corners_all.max(axis=1)
    visible = ((hi[:, 0] >= -1) & (lo[:, 0] <= width) & (hi[:, 1] >= -1) &
               (lo[:, 1] <= height) & np.isfinite(lo).all(axis=1))
    order = np.argsort(-depth_all[visible], kind='stable')
    fixed = np.round(corners_all[visible][order] * (1 << _SHIFT)).astype(
        np.int32)
    face_rgb = [
        tuple(int(c) for c in rgb)
        for rgb in np.clip(np.rint(colors_all[visible][order]), 0, 255)
    ]
    for tri, rgb in zip(fixed, face_rgb):
        cv2.fillConvexPoly(layer, tri, rgb, lineType=cv2.LINE_8, shift=_SHIFT)
        cv2.fillConvexPoly(mask, tri, 1, lineType=cv2.LINE_8, shift=_SHIFT)
    covered = mask.astype(bool)
    out = image.copy()
    if alpha >= 1.0:
        out[covered] = layer[covered]
    else:
        blend = (
            alpha * layer[covered].astype(np.float64) +
            (1.0 - alpha) * image[covered].astype(np.float64))
        out[covered] = np.clip(np.rint(blend), 0, 255).astype(np.uint8)
    return out, covered
