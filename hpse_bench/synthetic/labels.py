"""Labels of one rendered person, read from the z-buffer that drew it.

- ``bbox``/``area``/``segmentation``: the person's visible pixels;
- COCO-17 keypoints with COCO visibility: 2 visible, 1 labelled but hidden
  (by the person's own body or by another person or object), 0 outside the
  image (then x = y = 0). A keypoint is visible when the surface at its
  pixel belongs to this person, to a body part adjacent to the joint, and
  lies no deeper in front of the joint than the part's thickness;
- DensePose: up to ``dp_points`` random visible pixels with chart ``dp_I``
  and ``dp_U``/``dp_V``, and the 14 coarse part masks in the 256x256 box
  frame (``writers`` documents the format);
- SMPL parameters and 3D joints (SMPL-24, COCO-17, H36M-17, LSP-14) in the
  camera frame, and their projections.

Coordinates: keypoints are in pixel-index coordinates (the centre of pixel
``(row, col)`` is ``(x, y) = (col, row)``, as mmpose and OpenCV use); boxes
and DensePose points are in COCO's continuous coordinates, where that pixel
covers ``[col, col + 1) x [row, row + 1)``.
"""
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import numpy as np
import pycocotools.mask as mask_utils
import torch

from hpse_bench.structures.cameras import perspective_projection
from hpse_bench.structures.conventions import (COCO_17,
                                               DENSEPOSE_CHART_TO_COARSE,
                                               DENSEPOSE_CHARTS,
                                               NUM_DENSEPOSE_COARSE)
from .rasterizer import Fragments
from .scene import Camera, PersonParams

# Body parts (DensePose chart name fragments) a keypoint may be seen on,
# and how far (metres) in front of the joint the surface may lie.
_KEYPOINT_PARTS: Dict[str, Tuple[Tuple[str, ...], float]] = {
    'nose': (('head', ), 0.05),
    'eye': (('head', ), 0.05),
    'ear': (('head', ), 0.06),
    'shoulder': (('torso', 'upper_arm_{s}'), 0.12),
    'elbow': (('upper_arm_{s}', 'lower_arm_{s}'), 0.09),
    'wrist': (('lower_arm_{s}', '{s}_hand'), 0.07),
    'hip': (('torso', 'upper_leg_{s}'), 0.16),
    'knee': (('upper_leg_{s}', 'lower_leg_{s}'), 0.10),
    'ankle': (('lower_leg_{s}', '{s}_foot'), 0.09),
}
MIN_VISIBLE_PIXELS = 150
MIN_VISIBLE_KEYPOINTS = 3


def _keypoint_visibility_tables() -> Tuple[np.ndarray, np.ndarray]:
    """``(17, 25)`` bool: charts (index 0..24) each COCO keypoint may be
    seen on; ``(17,)`` depth tolerance in metres."""
    allowed = np.zeros((len(COCO_17), len(DENSEPOSE_CHARTS) + 1), bool)
    tolerance = np.zeros(len(COCO_17))
    for k, name in enumerate(COCO_17):
        side, _, joint = name.rpartition('_')
        parts, tol = _KEYPOINT_PARTS[joint]
        tolerance[k] = tol
        for part in parts:
            part = part.format(s=side)
            for c, chart in enumerate(DENSEPOSE_CHARTS):
                if part in chart:
                    allowed[k, c + 1] = True
    return allowed, tolerance


KEYPOINT_CHARTS, KEYPOINT_DEPTH_TOLERANCE = _keypoint_visibility_tables()


@dataclass
class PersonLabels:
    """Labels of one person; coordinates as in the module docstring."""
    bbox: np.ndarray
    area: int
    segmentation: Dict[str, object]
    keypoints: np.ndarray
    densepose: Optional[Dict[str, list]]
    smpl: Dict[str, np.ndarray]
    keypoints3d: Dict[str, np.ndarray]
    keypoints2d: Dict[str, np.ndarray]
    vertices: np.ndarray


def uv_at(frags: Fragments, face_uv: np.ndarray, rows: np.ndarray,
          cols: np.ndarray) -> np.ndarray:
    """DensePose ``(N, 2)`` U, V at pixels of the body mesh: the face's
    per-corner U, V interpolated with the pixel's barycentrics."""
    face = frags.face_id[rows, cols]
    return np.einsum('nk,nkc->nc', frags.bary[rows, cols], face_uv[face])


def project(points: np.ndarray, focal_length: float,
            principal_point: np.ndarray) -> np.ndarray:
    """``(N, 3)`` camera-frame points to ``(N, 2)`` pixels with the body
    models' ``perspective_projection``."""
    pts = torch.as_tensor(points, dtype=torch.float64)[None]
    return perspective_projection(
        pts, float(focal_length),
        torch.as_tensor(principal_point, dtype=torch.float64))[0].numpy()


def label_person(rng: np.random.Generator,
                 i: int,
                 params: PersonParams,
                 posed: Dict[str, np.ndarray],
                 camera: Camera,
                 frags: Fragments,
                 person_map: np.ndarray,
                 part_map: np.ndarray,
                 face_uv: np.ndarray,
                 dp_points: int,
                 with_densepose: bool = True) -> Optional[PersonLabels]:
    """Labels of person ``i`` of a rendered scene, or None when it is too
    hidden (fewer than ``MIN_VISIBLE_PIXELS`` pixels or
    ``MIN_VISIBLE_KEYPOINTS`` visible keypoints).

    Args:
        rng: the image's random generator (DensePose point sampling).
        i: the person's index (its mesh id in ``frags``).
        params: its SMPL parameters, ``transl`` set.
        posed: body-model outputs of every person, in the camera frame.
        camera: the camera.
        frags: the rasteriser output of the scene.
        person_map: ``(H, W)`` person index per pixel, -1 elsewhere.
        part_map: ``(H, W)`` DensePose chart per pixel, 0 elsewhere.
        face_uv: ``(F, 3, 2)`` DensePose U, V per face corner.
        dp_points: DensePose points per person, at most.
        with_densepose: label DensePose; else ``densepose`` is None (the
            points are still drawn, so the image's random stream is the
            same either way).
    """
    height, width = camera.image_size
    mask = person_map == i
    area = int(mask.sum())
    if area < MIN_VISIBLE_PIXELS:
        return None
    rle = mask_utils.encode(np.asfortranarray(mask, dtype=np.uint8))
    bbox = mask_utils.toBbox(rle).astype(np.float64)
    rle['counts'] = rle['counts'].decode('ascii')

    f, c = camera.focal_length, camera.principal_point
    kp3d = {
        'smpl_24': posed['joints_smpl24'][i],
        'coco_17': posed['keypoints_coco17'][i],
        'h36m_17': posed['keypoints_h36m17'][i],
        'lsp_14': posed['keypoints_lsp14'][i],
    }
    kp2d = {k: project(v, f, c) for k, v in kp3d.items() if k != 'lsp_14'}
    keypoints = coco_keypoints(i, kp3d['coco_17'], kp2d['coco_17'], frags,
                               person_map, part_map, (height, width))
    if (keypoints[:, 2] == 2).sum() < MIN_VISIBLE_KEYPOINTS:
        return None
    if with_densepose:
        dp = densepose(rng, mask, bbox, part_map, frags, face_uv, dp_points)
    else:
        dp = None
        rng.choice(area, size=min(dp_points, area), replace=False)
    return PersonLabels(
        bbox=bbox,
        area=area,
        segmentation=rle,
        keypoints=keypoints,
        densepose=dp,
        smpl=dict(
            betas=params.betas.astype(np.float32),
            body_pose=params.body_pose.astype(np.float32),
            global_orient=params.global_orient.astype(np.float32),
            transl=params.transl.astype(np.float32)),
        keypoints3d=kp3d,
        keypoints2d=kp2d,
        vertices=posed['vertices'][i])


def coco_keypoints(i: int, joints3d: np.ndarray, joints2d: np.ndarray,
                   frags: Fragments, person_map: np.ndarray,
                   part_map: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """COCO ``(17, 3)`` keypoints ``x, y, v`` of person ``i``, decided with
    the z-buffer."""
    height, width = size
    col = np.floor(joints2d[:, 0] + 0.5).astype(np.int64)
    row = np.floor(joints2d[:, 1] + 0.5).astype(np.int64)
    inside = ((col >= 0) & (col < width) & (row >= 0) & (row < height) &
              (joints3d[:, 2] > 0))
    r, cc = np.clip(row, 0, height - 1), np.clip(col, 0, width - 1)
    own = person_map[r, cc] == i
    chart_ok = KEYPOINT_CHARTS[np.arange(len(COCO_17)), part_map[r, cc]]
    depth_ok = frags.depth[r, cc] >= (
        joints3d[:, 2] - KEYPOINT_DEPTH_TOLERANCE)
    visible = inside & own & chart_ok & depth_ok
    out = np.zeros((len(COCO_17), 3))
    out[inside, :2] = joints2d[inside]
    out[inside, 2] = 1
    out[visible, 2] = 2
    return out


def densepose(rng: np.random.Generator, mask: np.ndarray, bbox: np.ndarray,
              part_map: np.ndarray, frags: Fragments, face_uv: np.ndarray,
              dp_points: int) -> Dict[str, list]:
    """COCO-DensePose fields of one person (box frame 256x256)."""
    x0, y0, w, h = bbox
    rows, cols = np.nonzero(mask)
    n = min(dp_points, len(rows))
    pick = np.sort(rng.choice(len(rows), size=n, replace=False))
    rows, cols = rows[pick], cols[pick]
    # Pixel (row, col) covers [col, col + 1): its centre is col + 0.5.
    dp_x = (cols + 0.5 - x0) * 256.0 / w
    dp_y = (rows + 0.5 - y0) * 256.0 / h
    uv = uv_at(frags, face_uv, rows, cols)
    # Coarse part masks: sample the part map at the 256x256 cell centres
    # of the box.
    cell = (np.arange(256) + 0.5) / 256.0
    grid_c = np.clip(
        np.floor(x0 + cell * w).astype(np.int64), 0, mask.shape[1] - 1)
    grid_r = np.clip(
        np.floor(y0 + cell * h).astype(np.int64), 0, mask.shape[0] - 1)
    box_parts = part_map[grid_r[:, None], grid_c[None, :]]
    box_parts = np.where(mask[grid_r[:, None], grid_c[None, :]], box_parts, 0)
    coarse = np.asarray(DENSEPOSE_CHART_TO_COARSE, np.uint8)[box_parts]
    parts = np.arange(1, NUM_DENSEPOSE_COARSE + 1, dtype=np.uint8)
    # All 14 masks in one (256, 256, 14) Fortran array, one RLE call.
    stack = (np.ascontiguousarray(
        coarse.T)[None] == parts[:, None, None]).view(np.uint8).T
    present = stack.any(axis=(0, 1))
    rles = mask_utils.encode(stack)
    dp_masks = [{
        'size': [256, 256],
        'counts': rle['counts'].decode('ascii')
    } if present[k] else [] for k, rle in enumerate(rles)]
    return {
        'dp_x': dp_x.tolist(),
        'dp_y': dp_y.tolist(),
        'dp_I': part_map[rows, cols].astype(np.float64).tolist(),
        'dp_U': uv[:, 0].astype(np.float64).tolist(),
        'dp_V': uv[:, 1].astype(np.float64).tolist(),
        'dp_masks': dp_masks,
    }
