"""What the frozen-feature probes read out, and how each is scored.

All functions take the labels of packed fine-tuning samples
(``docs/data_contract.md``) as numpy arrays:

- **3D joints**: the 14 LSP joints (``H36M_TO_LSP14``) of ``gt_keypoints3d``
  in millimetres, relative to the mid-hip pelvis; scored by PA-MPJPE
  (:func:`hpse_bench.evaluation.functional.pa_mpjpe`) over the labelled
  joints.
- **2D keypoints**: the same 14 joints of ``gt_keypoints2d_img`` mapped into
  the network crop by the sample's ``warp_mat``, divided by the crop's width
  and height (so ``[0, 1]`` spans the crop); scored as PCK: the percentage of
  labelled joints (confidence > 0) closer than ``PCK2D_THRESHOLD`` (0.1 of
  the crop side) to the label.
- **Facing direction**: the yaw of the torso about the camera's vertical
  axis. The torso's forward vector is ``(left hip - right hip) x (thorax -
  pelvis)`` from the 3D joints (for a person in SMPL's rest pose, left on
  +x and up on +y, it is +z, where the body faces); with the camera's x
  right, y down and z forward, ``yaw = atan2(f_x, -f_z)``: 0 faces the
  camera, +-90 degrees is a profile, 180 degrees shows the back. Read out
  as ``(sin yaw, cos yaw)``; a prediction is correct within
  ``FACING_TOLERANCE_DEG`` (45 degrees, i.e. the right quarter of the
  circle).
"""
from typing import Tuple

import numpy as np

from hpse_bench.datasets.transforms.geometry import apply_affine
from hpse_bench.evaluation.functional import (align_by_pelvis, joint_errors,
                                              pck_3d)
from hpse_bench.structures.conventions import H36M_17, H36M_TO_LSP14

PCK2D_THRESHOLD = 0.1
FACING_TOLERANCE_DEG = 45.0
_LEFT_HIP = H36M_17.index('left_hip')
_RIGHT_HIP = H36M_17.index('right_hip')
_PELVIS = H36M_17.index('pelvis')
_THORAX = H36M_17.index('thorax')


def joints3d_lsp14_mm(keypoints3d: np.ndarray
                      ) -> Tuple[np.ndarray, np.ndarray]:
    """``(N, 14, 3)`` pelvis-relative LSP-14 joints in mm and their ``(N,
    14)`` validity, from ``(N, 17, 4)`` H36M-17 labels in metres."""
    keypoints3d = np.asarray(keypoints3d, dtype=np.float64)
    lsp = keypoints3d[:, H36M_TO_LSP14]
    joints = align_by_pelvis(1000.0 * lsp[..., :3], 'lsp_14')
    return joints, lsp[..., 3] > 0


def keypoints2d_crop(keypoints2d_img: np.ndarray, warp_mats: np.ndarray,
                     crop_sizes: np.ndarray
                     ) -> Tuple[np.ndarray, np.ndarray]:
    """``(N, 14, 2)`` LSP-14 joints in crop coordinates over the crop size
    and their ``(N, 14)`` validity.

    Args:
        keypoints2d_img: ``(N, 17, 3)`` H36M-17 original-image pixels.
        warp_mats: ``(N, 2, 3)`` original -> crop affine maps.
        crop_sizes: ``(N, 2)`` crop ``(width, height)``.
    """
    keypoints2d_img = np.asarray(keypoints2d_img, dtype=np.float64)
    lsp = keypoints2d_img[:, H36M_TO_LSP14]
    crop = np.stack(
        [apply_affine(k[:, :2], m) for k, m in zip(lsp, warp_mats)])
    crop = crop / np.asarray(crop_sizes, dtype=np.float64)[:, None, :]
    return crop, lsp[..., 2] > 0


def facing_yaw(keypoints3d: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Torso yaw in radians ``(N,)`` (see the module docstring) and whether
    it is defined ``(N,)`` (hips, pelvis and thorax labelled, torso not
    seen straight from above or below)."""
    keypoints3d = np.asarray(keypoints3d, dtype=np.float64)
    points = keypoints3d[..., :3]
    across = points[:, _LEFT_HIP] - points[:, _RIGHT_HIP]
    up = points[:, _THORAX] - points[:, _PELVIS]
    forward = np.cross(across, up)
    yaw = np.arctan2(forward[:, 0], -forward[:, 2])
    labelled = (keypoints3d[:, [_LEFT_HIP, _RIGHT_HIP, _PELVIS, _THORAX], 3]
                > 0).all(axis=1)
    horizontal = np.hypot(forward[:, 0], forward[:, 2])
    with np.errstate(invalid='ignore', divide='ignore'):
        level = horizontal > 1e-3 * np.linalg.norm(forward, axis=1)
    return yaw, labelled & level


def yaw_to_sincos(yaw: np.ndarray) -> np.ndarray:
    """``(N, 2)`` ``(sin, cos)``."""
    return np.stack([np.sin(yaw), np.cos(yaw)], axis=1)


def sincos_to_yaw(sincos: np.ndarray) -> np.ndarray:
    """Yaw ``(N,)`` of ``(N, 2)`` ``(sin, cos)`` read-outs (any length)."""
    sincos = np.asarray(sincos, dtype=np.float64)
    return np.arctan2(sincos[:, 0], sincos[:, 1])


def angular_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Absolute difference of angles in radians, wrapped to ``[0, pi]``."""
    diff = np.mod(np.asarray(a) - np.asarray(b) + np.pi, 2 * np.pi) - np.pi
    return np.abs(diff)


def facing_accuracy(pred_yaw: np.ndarray,
                    gt_yaw: np.ndarray,
                    tolerance_deg: float = FACING_TOLERANCE_DEG) -> float:
    """Percentage of samples whose yaw error is below ``tolerance_deg``."""
    if len(gt_yaw) == 0:
        raise ValueError('facing accuracy of an empty set is undefined')
    error = angular_difference(pred_yaw, gt_yaw)
    return float(100.0 * np.mean(error < np.deg2rad(tolerance_deg)))


def majority_yaw(yaw: np.ndarray,
                 tolerance_deg: float = FACING_TOLERANCE_DEG) -> float:
    """The constant yaw that is correct for most of ``yaw`` (searched on a
    1-degree grid): the majority direction, the facing probe's chance
    predictor."""
    if len(yaw) == 0:
        raise ValueError('the majority direction of no sample is undefined')
    grid = np.deg2rad(np.arange(-180.0, 180.0, 1.0))
    hits = (angular_difference(grid[:, None], np.asarray(yaw)[None])
            < np.deg2rad(tolerance_deg)).sum(axis=1)
    return float(grid[int(np.argmax(hits))])


def pck_2d(pred: np.ndarray,
           gt: np.ndarray,
           mask: np.ndarray,
           threshold: float = PCK2D_THRESHOLD) -> float:
    """PCK in percent of ``(N, J, 2)`` crop-normalised keypoints over the
    joints where ``mask`` is true (distance strictly below ``threshold``,
    as :func:`hpse_bench.evaluation.functional.pck_3d` counts)."""
    return pck_3d(joint_errors(pred, gt), mask, threshold)
