"""Predicted meshes in the camera of their crop and in the original image.

``predict`` of the SMPL regressors returns pelvis-centred meshes and the
weak-perspective camera ``pred_cam = (s, tx, ty)`` of the crop. To draw a
mesh over the picture it came from, the mesh is placed in front of the
crop's equivalent perspective camera (SPIN: focal length ``f`` crop pixels,
principal point at the crop centre, translation ``(tx, ty, 2 f / (W s))``,
the model's own ``camera_translation``), and that camera is carried to the
original image through the inverse of the crop's affine map ``warp_mat``:

``K_img = [[A^-1, -A^-1 b], [0, 0, 1]] @ [[f, 0, W / 2], [0, f, H / 2],
[0, 0, 1]]`` for ``x_crop = A x_img + b``.
"""
from typing import List, Sequence

import numpy as np
import torch

from hpse_bench.structures import HumanDataSample

#: Fields :func:`add_camera_predictions` adds to a data sample.
CAMERA_FIELDS = ('pred_vertices_cam', 'pred_keypoints3d_cam', 'pred_cam_t',
                 'pred_camera_intrinsics', 'pred_vertices2d_img')


def crop_camera_to_image(focal_length: float, crop_shape: Sequence[int],
                         warp_mat: np.ndarray) -> np.ndarray:
    """Camera matrix ``(3, 3)`` of a crop camera, in original-image pixels.

    Args:
        focal_length: focal length in crop pixels.
        crop_shape: ``(H, W)`` of the crop (the network input).
        warp_mat: ``(2, 3)`` original image -> crop affine map.
    """
    h, w = crop_shape
    k_crop = np.array([[focal_length, 0.0, w / 2.0],
                       [0.0, focal_length, h / 2.0], [0.0, 0.0, 1.0]])
    warp = np.asarray(warp_mat, dtype=np.float64)
    a_inv = np.linalg.inv(warp[:, :2])
    to_image = np.eye(3)
    to_image[:2, :2] = a_inv
    to_image[:2, 2] = -a_inv @ warp[:, 2]
    return to_image @ k_crop


def is_mesh_regressor(model: torch.nn.Module) -> bool:
    """Whether ``model`` predicts SMPL meshes with a weak-perspective
    camera (HMR/SPIN, PARE, PyMAF), i.e. has the methods used here."""
    return all(
        hasattr(model, name)
        for name in ('run_body_model', 'camera_translation', 'focal_length',
                     'body_model'))


@torch.no_grad()
def add_camera_predictions(
        model: torch.nn.Module,
        data_samples: List[HumanDataSample]) -> List[HumanDataSample]:
    """Add the camera-frame mesh and its image projection to predictions.

    Args:
        model: the SMPL regressor that filled the samples (its body model,
            focal length and camera conversion are used, so that the result
            is exactly the camera its losses trained).
        data_samples: output of the model's ``predict`` (fields
            ``pred_smpl_pose``, ``pred_smpl_betas``, ``pred_cam``; metainfo
            ``img_shape`` and ``warp_mat``).

    Returns:
        The same samples with, per sample:

        - ``pred_vertices_cam`` (6890, 3), ``pred_keypoints3d_cam`` (17, 3):
          mesh and H36M-17 joints in the crop camera's frame, metres;
        - ``pred_cam_t`` (3,): that camera's translation of the body frame;
        - ``pred_camera_intrinsics`` (3, 3): camera matrix into original-image
          pixels (``p = K X / Z``);
        - ``pred_vertices2d_img`` (6890, 2): the mesh in original-image
          pixels.

    Raises:
        KeyError: a sample lacks a prediction or metainfo field.
    """
    if not data_samples:
        return data_samples
    for i, s in enumerate(data_samples):
        missing = [
            k for k in ('pred_smpl_pose', 'pred_smpl_betas', 'pred_cam')
            if k not in s
        ] + [k for k in ('img_shape', 'warp_mat') if k not in s.metainfo]
        if missing:
            raise KeyError(f'data sample {i} lacks {missing}: camera-frame '
                           'meshes need the predictions of an SMPL '
                           "regressor's predict() and the crop's metainfo")
    param = next(model.body_model.parameters(), None)
    buffer = next(model.body_model.buffers(), None)
    device = (param if param is not None else buffer).device
    pose = torch.stack([s.pred_smpl_pose for s in data_samples]).to(device)
    betas = torch.stack([s.pred_smpl_betas for s in data_samples]).to(device)
    cam = torch.stack([s.pred_cam for s in data_samples]).to(device)
    out = model.run_body_model(pose=pose.float(), betas=betas.float())
    for i, sample in enumerate(data_samples):
        crop_shape = tuple(int(v) for v in sample.metainfo['img_shape'][:2])
        transl = model.camera_translation(cam[i:i + 1], crop_shape)[0]
        vertices = out['vertices'][i] + transl
        joints = out['keypoints_h36m17'][i] + transl
        intrinsics = crop_camera_to_image(model.focal_length, crop_shape,
                                          sample.metainfo['warp_mat'])
        k = torch.as_tensor(
            intrinsics, dtype=vertices.dtype, device=vertices.device)
        proj = vertices @ k.T
        sample.pred_vertices_cam = vertices
        sample.pred_keypoints3d_cam = joints
        sample.pred_cam_t = transl
        sample.pred_camera_intrinsics = k
        sample.pred_vertices2d_img = proj[:, :2] / proj[:, 2:3]
    return data_samples
