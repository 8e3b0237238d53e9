"""The regressors' losses vanish at the ground truth of augmented samples.

Flip and in-plane rotation move the image, the 2D keypoints, the 3D
keypoints and the SMPL global orientation; a frame or sign slip in any of
them leaves a loss the network can never reach. Here the real synthetic
h36m split goes through the fine-tuning config's training pipeline (flip and
rotation forced on); the ground-truth SMPL parameters with the camera fitted
to the ground-truth 2D keypoints (least squares, weak perspective) must
reproduce the 3D keypoints exactly and the 2D keypoints to within the
weak-/full-perspective difference.
"""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

from hpse_bench.registry import DATASETS, MODELS
from hpse_bench.structures.rotation import axis_angle_to_matrix

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
FINETUNE = osp.join(REPO, 'configs', 'finetune',
                    'hmr_r18_1xb32-8e_h36m-coco_100p_synthetic.py')


def _fit_weak_perspective(joints: np.ndarray, target: np.ndarray,
                          visible: np.ndarray) -> np.ndarray:
    """``(s, tx, ty)`` minimising ``|s (X + t) - u|^2`` over visible joints
    (linear in ``(s, s tx, s ty)``)."""
    n = int(visible.sum())
    a = np.concatenate(
        [joints[visible, :2].reshape(-1, 1),
         np.tile(np.eye(2), (n, 1))], 1)
    (s, stx, sty), *_ = np.linalg.lstsq(
        a, target[visible].reshape(-1), rcond=None)
    return np.array([s, stx / s, sty / s])


@pytest.mark.parametrize('flip', [0.0, 1.0])
@pytest.mark.parametrize('rotate', [0.0, 1.0])
def test_ground_truth_zeroes_the_losses_after_augmentation(
        flip, rotate, synthetic_root):
    cfg = Config.fromfile(FINETUNE)
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('hpse_bench'):
        model = MODELS.build(cfg.model).eval()
    pipeline = []
    for step in cfg.train_pipeline:
        step = dict(step)
        if step['type'] == 'RandomHumanFlip':
            step['prob'] = flip
        if step['type'] == 'RandomHumanBBoxTransform':
            step['rotate_prob'] = rotate
        pipeline.append(step)
    with DefaultScope.overwrite_default_scope('hpse_bench'):
        dataset = DATASETS.build(dict(
            type='HumanImageDataset',
            dataset_name='h36m',
            data_root=synthetic_root,
            ann_file='h36m/h36m_train.npz',
            data_prefix=dict(img='h36m/'),
            bbox_scale_factor=1.2,
            pipeline=pipeline))
    np.random.seed(0)
    batch = model.data_preprocessor(
        pseudo_collate([dataset[i] for i in range(len(dataset))]), True)
    img_shape = tuple(batch['inputs'].shape[-2:])
    targets = model.collect_targets(batch['data_samples'], 'cpu', img_shape)
    assert bool((targets['has_smpl'] > 0).all())
    if flip:
        assert all(s.flip for s in batch['data_samples'])

    rotmat = axis_angle_to_matrix(targets['smpl_pose'].reshape(-1, 24, 3))
    betas = targets['smpl_betas']
    joints = model.run_body_model(rotmat=rotmat, betas=betas)
    cam = torch.tensor(
        np.stack([
            _fit_weak_perspective(j.numpy(), k.numpy(), c.numpy() > 0)
            for j, k, c in zip(joints['keypoints_coco17'],
                               targets['keypoints2d'],
                               targets['keypoints2d_conf'])
        ]),
        dtype=torch.float32)
    assert bool((cam[:, 0] > 0).all()), 'a mirrored camera fits better'

    losses = model.mesh_losses(
        dict(pred_rotmat=rotmat, pred_betas=betas, pred_cam=cam), targets,
        img_shape)
    assert float(losses['loss_keypoints3d']) < 1e-6
    assert float(losses['loss_smpl_pose']) < 1e-10
    # Re-projection through the model's own camera, in crop pixels.
    kp2d = model.project_points(joints['keypoints_coco17'], cam, img_shape)
    visible = targets['keypoints2d_conf'] > 0
    err = (kp2d - targets['keypoints2d'])[visible].norm(dim=-1)
    err_px = err * img_shape[1] / 2
    assert float(err_px.mean()) < 1.5 and float(err_px.max()) < 6.0, (
        float(err_px.mean()), float(err_px.max()))
