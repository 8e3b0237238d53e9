"""Fine-tuning samples built with the body model itself.

Each sample is a random SMPL body (pose, shape) seen by a random weak-
perspective camera in a square crop; its labels follow
``docs/data_contract.md`` exactly, as ``PackHumanInputs`` packs them: COCO-17
in crop pixels, H36M-17 in metres (camera frame) and in original-image
pixels (the crop is a known affine map of a larger original image). The
image is a fixed random pattern per sample.
"""
import math
from typing import List, Tuple

import numpy as np
import torch

from hpse_bench.structures import HumanDataSample
from hpse_bench.structures.cameras import (
    convert_weak_perspective_to_perspective, perspective_projection)

FOCAL = 5000.0
# Tiny regressors for tests: ResNet-18 and narrow heads.
RESNET18 = dict(type='mmpretrain.ResNet', depth=18, out_indices=(3, ))
TINY_HEADS = dict(
    HMR=dict(type='HMRHead', in_channels=512, hidden=256, dropout=0.0),
    PARE=dict(
        type='PAREHead',
        in_channels=512,
        deconv_channels=(64, 64),
        deconv_kernels=(4, 4),
        shape_feat_channels=16),
    PyMAF=dict(
        type='PyMAFHead',
        in_channels=512,
        num_points=96,
        deconv_channels=(64, 64, 64),
        deconv_kernels=(4, 4, 4),
        mlp_channels=(32, 16, 5),
        grid_size=8,
        hidden=256,
        dropout=0.0),
    IntegralPoseRegressor=dict(
        type='IntegralPoseHead',
        in_channels=512,
        depth_bins=16,
        deconv_channels=(64, 64),
        deconv_kernels=(4, 4)),
)


def tiny_model_cfg(name: str, **kwargs) -> dict:
    """Config of a tiny ``name`` regressor (ResNet-18, narrow head)."""
    cfg = dict(type=name, backbone=dict(RESNET18), head=dict(TINY_HEADS[name]))
    cfg.update(kwargs)
    return cfg


def warp_matrix(seed: int, img_size: int) -> np.ndarray:
    """An original-image -> crop affine map: scale, rotation, offset."""
    rng = np.random.default_rng(1000 + seed)
    scale = rng.uniform(0.3, 0.6)
    angle = rng.uniform(-0.3, 0.3)
    rot = scale * np.array([[math.cos(angle), -math.sin(angle)],
                            [math.sin(angle), math.cos(angle)]])
    offset = rng.uniform(-40, 40, size=2) + img_size / 2
    return np.concatenate([rot, offset[:, None]], axis=1)


def random_smpl_params(rng: np.random.Generator) -> Tuple[np.ndarray, ...]:
    """Pose (72,), betas (10,), camera (3,) of an upright, facing body."""
    pose = np.zeros(72)
    # Upright in camera coordinates (y down), as SPIN's mean pose.
    pose[:3] = [math.pi, 0, 0] + rng.normal(0, 0.15, 3)
    pose[3:] = rng.normal(0, 0.25, 69)
    betas = rng.normal(0, 0.7, 10)
    cam = np.array([rng.uniform(0.8, 1.0), *rng.uniform(-0.08, 0.08, 2)])
    return pose, betas, cam


@torch.no_grad()
def make_samples(smpl,
                 num: int,
                 img_size: int = 64,
                 seed: int = 0) -> Tuple[List[torch.Tensor],
                                         List[HumanDataSample]]:
    """``num`` samples with full labels (``has_smpl = has_keypoints3d = 1``).

    Returns:
        ``(inputs, data_samples)``: uint8 ``(3, S, S)`` images (BGR, as
        the data pipeline gives them) and ``HumanDataSample``s.
    """
    inputs, samples = [], []
    for i in range(num):
        rng = np.random.default_rng(seed * 100 + i)
        pose, betas, cam = random_smpl_params(rng)
        pose_t = torch.tensor(pose, dtype=torch.float32)[None]
        betas_t = torch.tensor(betas, dtype=torch.float32)[None]
        cam_t = torch.tensor(cam, dtype=torch.float32)[None]
        out = smpl(
            betas=betas_t,
            body_pose=pose_t[:, 3:],
            global_orient=pose_t[:, :3])
        transl = convert_weak_perspective_to_perspective(
            cam_t, focal_length=FOCAL, img_size=img_size)
        coco = perspective_projection(
            out['keypoints_coco17'], FOCAL, img_size / 2.0,
            translation=transl)[0]
        h36m_crop = perspective_projection(
            out['keypoints_h36m17'], FOCAL, img_size / 2.0,
            translation=transl)[0]
        warp = warp_matrix(seed * 100 + i, img_size)
        a, b = warp[:, :2], warp[:, 2]
        h36m_img = (np.linalg.inv(a) @ (h36m_crop.numpy() - b).T).T
        kp3d = (out['keypoints_h36m17'][0] + transl).numpy()
        ones = np.ones((17, 1), dtype=np.float32)
        sample = HumanDataSample(
            metainfo=dict(
                img_path=f'synthetic/{seed}_{i}.jpg',
                sample_idx=i,
                dataset_name='synthetic',
                image_id=i,
                img_shape=(img_size, img_size),
                bbox_center=np.zeros(2, np.float32),
                bbox_scale=np.full(2, img_size, np.float32),
                warp_mat=warp,
                flip=False,
                rotation=0.0))
        sample.gt_keypoints2d = torch.from_numpy(
            np.concatenate([coco.numpy(), ones], 1).astype(np.float32))
        sample.gt_keypoints2d_img = torch.from_numpy(
            np.concatenate([h36m_img, ones], 1).astype(np.float32))
        sample.gt_keypoints3d = torch.from_numpy(
            np.concatenate([kp3d, ones], 1).astype(np.float32))
        sample.gt_smpl_pose = pose_t[0]
        sample.gt_smpl_betas = betas_t[0]
        sample.has_smpl = torch.tensor(1.0)
        sample.has_keypoints3d = torch.tensor(1.0)
        samples.append(sample)
        img_rng = np.random.default_rng(5000 + seed * 100 + i)
        inputs.append(
            torch.from_numpy(
                img_rng.integers(0, 256, (3, img_size, img_size),
                                 dtype=np.uint8)))
    return inputs, samples


def unlabelled_sample(img_size: int = 64) -> HumanDataSample:
    """A sample with no valid joint, no 3D and no SMPL (all zeros)."""
    sample = HumanDataSample(
        metainfo=dict(
            img_shape=(img_size, img_size),
            warp_mat=np.array([[1.0, 0, 0], [0, 1.0, 0]])))
    sample.gt_keypoints2d = torch.zeros(17, 3)
    sample.gt_keypoints2d_img = torch.zeros(17, 3)
    sample.gt_keypoints3d = torch.zeros(17, 4)
    sample.gt_smpl_pose = torch.zeros(72)
    sample.gt_smpl_betas = torch.zeros(10)
    sample.has_smpl = torch.tensor(0.0)
    sample.has_keypoints3d = torch.tensor(0.0)
    return sample
