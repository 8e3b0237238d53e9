"""Side views: predictions turned about the camera's vertical axis.

A mesh comes with its camera, so the side view turns it about its own
centre and projects it with the same camera. A keypoint-only prediction has
no camera; its joints are placed by the scale that best matches the 2D
prediction (see :func:`skeleton_side_view`).
"""
from typing import List, Sequence

import numpy as np

from hpse_bench.structures.conventions import H36M_PELVIS_ID
from .mesh_rendering import Mesh, rotate_about_vertical


def turned_meshes(meshes: Sequence[Mesh], angle: float) -> List[Mesh]:
    """Each mesh turned by ``angle`` degrees about the vertical through
    the middle of its bounding box, with its camera unchanged."""
    return [(rotate_about_vertical(v, angle), k) for v, k in meshes]


def skeleton_side_view(keypoints3d: np.ndarray,
                       keypoints2d: np.ndarray,
                       angle: float = 90.0) -> np.ndarray:
    """Image positions ``(K, 2)`` of 3D joints turned about the vertical.

    For keypoint-only models (no camera): the pelvis stays where it is in
    the image and metres become pixels by the least-squares scale between
    the pelvis-relative 2D joints and the 3D joints' ``x, y``.

    Args:
        keypoints3d: ``(K, 3)`` pelvis-relative joints, camera axes
            (x right, y down, z forward), H36M-17.
        keypoints2d: ``(K, 2)`` the same joints in the image.
        angle: degrees about the vertical axis through the pelvis.
    """
    kp3d = np.asarray(keypoints3d, dtype=np.float64)
    kp2d = np.asarray(keypoints2d, dtype=np.float64)
    rel3 = kp3d[:, :2] - kp3d[H36M_PELVIS_ID, :2]
    rel2 = kp2d - kp2d[H36M_PELVIS_ID]
    scale = float((rel2 * rel3).sum() / max((rel3**2).sum(), 1e-12))
    turned = rotate_about_vertical(kp3d, angle, centre=kp3d[H36M_PELVIS_ID])
    return kp2d[H36M_PELVIS_ID] + scale * (
        turned[:, :2] - turned[H36M_PELVIS_ID, :2])
