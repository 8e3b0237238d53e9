"""Geometry of the top-down crop shared by the human transforms.

Conventions (the same as mmpose and mmhuman3d):

- Image pixels have integer centres; a horizontal flip maps ``x`` to
  ``W - 1 - x`` (what ``cv2.flip`` does to pixel columns).
- The crop box centre maps to ``(W / 2, H / 2)`` of the network input, so a
  crop keypoint normalised as ``2 * x / W - 1`` is 0 at the box centre.
- ``rotation`` (degrees) turns the image content counter-clockwise on
  screen. The camera frame is x right, y down, z forward, so the same turn
  of the 3D scene is a rotation about the camera z axis by
  :func:`inplane_rotation_matrix`; with the principal point at the box
  centre the projection of the rotated 3D points equals the rotated 2D
  points.
"""
from typing import Sequence, Tuple

import cv2
import numpy as np


def fix_aspect_ratio(scale: np.ndarray, aspect_ratio: float) -> np.ndarray:
    """Enlarge a box ``(w, h)`` to the width/height ratio ``aspect_ratio``.

    Args:
        scale: ``(2,)`` box width and height in pixels.
        aspect_ratio: target ``w / h``.

    Returns:
        ``(2,)`` the smallest box of that ratio containing the input box.
    """
    w, h = float(scale[0]), float(scale[1])
    if w > h * aspect_ratio:
        h = w / aspect_ratio
    else:
        w = h * aspect_ratio
    return np.array([w, h], dtype=np.float32)


def get_crop_warp_matrix(center: Sequence[float], scale: Sequence[float],
                         rotation: float,
                         output_size: Tuple[int, int]) -> np.ndarray:
    """Affine map from the original image to the crop.

    The box ``center``/``scale`` (pixels, with the aspect ratio of
    ``output_size``) is rotated by ``rotation`` degrees about its centre and
    resized to ``output_size``.

    Args:
        center: ``(2,)`` box centre ``(x, y)`` in the original image.
        scale: ``(2,)`` box width and height in the original image.
        rotation: in-plane rotation of the content, degrees,
            counter-clockwise on screen.
        output_size: ``(W, H)`` of the crop.

    Returns:
        ``(2, 3)`` float32 matrix ``M`` with ``[x', y'] = M @ [x, y, 1]``.
    """
    out_w, out_h = output_size
    sx = out_w / float(scale[0])
    sy = out_h / float(scale[1])
    theta = np.deg2rad(rotation)
    cos, sin = np.cos(theta), np.sin(theta)
    # y points down, so [[cos, sin], [-sin, cos]] turns content
    # counter-clockwise as seen on screen.
    linear = np.array([[sx * cos, sx * sin], [-sy * sin, sy * cos]])
    c = np.asarray(center, dtype=np.float64)
    offset = np.array([out_w * 0.5, out_h * 0.5]) - linear @ c
    return np.concatenate([linear, offset[:, None]], axis=1).astype(np.float32)


def apply_affine(points: np.ndarray, mat: np.ndarray) -> np.ndarray:
    """Apply a ``(2, 3)`` affine matrix to ``(..., 2)`` points."""
    points = np.asarray(points, dtype=np.float64)
    mat = np.asarray(mat, dtype=np.float64)
    return points @ mat[:, :2].T + mat[:, 2]


def inplane_rotation_matrix(rotation: float) -> np.ndarray:
    """3D rotation about the camera z axis matching an image rotation.

    Args:
        rotation: degrees, counter-clockwise on screen (as
            :func:`get_crop_warp_matrix`).

    Returns:
        ``(3, 3)`` float64 rotation matrix acting on camera-frame points.
    """
    theta = np.deg2rad(rotation)
    cos, sin = np.cos(theta), np.sin(theta)
    return np.array([[cos, sin, 0.], [-sin, cos, 0.], [0., 0., 1.]])


def rotate_global_orient(global_orient: np.ndarray,
                         rotation: float) -> np.ndarray:
    """Turn an SMPL global orientation (axis-angle) with the image.

    The body's rotation in the camera frame ``R`` becomes ``Rz @ R`` with
    ``Rz = inplane_rotation_matrix(rotation)``.

    Args:
        global_orient: ``(3,)`` axis-angle.
        rotation: degrees, as :func:`inplane_rotation_matrix`.

    Returns:
        ``(3,)`` axis-angle of the same dtype.
    """
    orient = np.asarray(global_orient)
    if rotation == 0:
        return orient.copy()
    rot_mat, _ = cv2.Rodrigues(orient.astype(np.float64).reshape(3, 1))
    new_vec, _ = cv2.Rodrigues(inplane_rotation_matrix(rotation) @ rot_mat)
    return new_vec.reshape(3).astype(orient.dtype)
