"""Image-blind predictors whose outputs go through the regressors' own
prediction code, so that baselines are scored exactly as fine-tuned models.
"""
from typing import List, Optional

import numpy as np
import torch
from torch import nn

from hpse_bench.body_models import get_smpl_root
from hpse_bench.models.heads.hmr_head import load_smpl_mean_params
from hpse_bench.models.regressors import BaseMeshRegressor
from hpse_bench.models.regressors.base_regressor import stack_field
from hpse_bench.structures import HumanDataSample
from hpse_bench.structures.conventions import NUM_BETAS, NUM_SMPL_JOINTS
from hpse_bench.structures.rotation import (axis_angle_to_matrix,
                                            rot6d_to_matrix)

POSE_SOURCES = ('mean', 'ground_truth')
BETAS_SOURCES = ('mean', 'zero', 'ground_truth')


class BaselineMeshPredictor(BaseMeshRegressor):
    """A mesh regressor that does not look at the image.

    It hands SMPL parameters that do not come from the image to
    :meth:`BaseMeshRegressor.predict`, which runs the body model, fills the
    ``pred_*`` fields and the ground-truth mesh exactly as for a fine-tuned
    HMR/SPIN/PARE/PyMAF, so a baseline and a model are scored by the same
    code:

    - ``pose='mean'``: the mean SMPL pose of ``smpl_mean_params.npz`` (what
      an untrained HMR-style regressor starts from);
      ``pose='ground_truth'``: each sample's labelled global orientation and
      body pose (``gt_smpl_pose``).
    - ``betas='mean'`` (the file's mean shape), ``'zero'`` (SMPL's template,
      betas 0) or ``'ground_truth'``.
    - ``keypoints3d`` / ``vertices``: constant ``(17, 3)`` H36M-17 joints and
      ``(6890, 3)`` vertices (metres, pelvis at the origin) that replace the
      body model's output (the training set's average pose).

    Every prediction's ``pred_keypoints2d_img`` is the labelled 2D location
    (``gt_keypoints2d_img``): these predictors have no detector, and
    MuPoTS-3D's protocol matches people by their 2D joints, so each
    baseline person is matched to its own annotation.

    Args:
        smpl_root / body_model / focal_length / data_preprocessor: as the
            fine-tune config's model.
        pose / betas: where the SMPL parameters come from (see above).
        keypoints3d / vertices: constant outputs, or ``None``.
    """

    def __init__(self,
                 smpl_root: str = 'embedded',
                 body_model: Optional[dict] = None,
                 focal_length: float = 5000.0,
                 data_preprocessor: Optional[dict] = None,
                 pose: str = 'mean',
                 betas: str = 'mean',
                 keypoints3d: Optional[np.ndarray] = None,
                 vertices: Optional[np.ndarray] = None) -> None:
        if pose not in POSE_SOURCES or betas not in BETAS_SOURCES:
            raise ValueError(f'pose must be one of {POSE_SOURCES} and betas '
                             f'one of {BETAS_SOURCES}; got {pose!r}, '
                             f'{betas!r}')
        super().__init__(
            backbone=nn.Identity(),
            head=nn.Identity(),
            smpl_root=smpl_root,
            body_model=body_model,
            focal_length=focal_length,
            loss_keypoints2d=None,
            loss_keypoints3d=None,
            loss_smpl_pose=None,
            loss_smpl_betas=None,
            loss_camera=None,
            data_preprocessor=data_preprocessor)
        self.pose_source, self.betas_source = pose, betas
        mean_pose, mean_betas, mean_cam = load_smpl_mean_params(
            f'{get_smpl_root(smpl_root)}/smpl_mean_params.npz')
        self.register_buffer(
            'mean_rotmat', rot6d_to_matrix(mean_pose.reshape(-1, 6)))
        self.register_buffer('mean_betas', mean_betas)
        self.register_buffer('mean_cam', mean_cam)
        self.constant_keypoints3d = self._constant(keypoints3d, (17, 3))
        self.constant_vertices = self._constant(vertices, None)

    @staticmethod
    def _constant(value, shape) -> Optional[torch.Tensor]:
        if value is None:
            return None
        value = torch.as_tensor(np.asarray(value), dtype=torch.float32)
        if shape is not None and tuple(value.shape) != shape:
            raise ValueError(f'expected shape {shape}, got '
                             f'{tuple(value.shape)}')
        return value

    def _forward(self, inputs: torch.Tensor,
                 data_samples: Optional[List[HumanDataSample]] = None
                 ) -> dict:
        batch, device = inputs.shape[0], inputs.device
        if self.pose_source == 'mean':
            rotmat = self.mean_rotmat.expand(batch, -1, -1, -1)
        else:
            pose = stack_field(data_samples, 'gt_smpl_pose', device,
                               (NUM_SMPL_JOINTS * 3, ))
            rotmat = axis_angle_to_matrix(pose.reshape(batch, -1, 3))
        if self.betas_source == 'mean':
            betas = self.mean_betas.expand(batch, -1)
        elif self.betas_source == 'zero':
            betas = torch.zeros(batch, NUM_BETAS, device=device)
        else:
            betas = stack_field(data_samples, 'gt_smpl_betas', device,
                                (NUM_BETAS, ))
        return dict(
            pred_rotmat=rotmat.contiguous(),
            pred_betas=betas.contiguous(),
            pred_cam=self.mean_cam.expand(batch, -1).contiguous())

    def predict(self, inputs: torch.Tensor,
                data_samples: List[HumanDataSample]
                ) -> List[HumanDataSample]:
        samples = super().predict(inputs, data_samples)
        for sample in samples:
            if self.constant_keypoints3d is not None:
                sample.pred_keypoints3d = self.constant_keypoints3d.clone()
            if self.constant_vertices is not None:
                sample.pred_vertices = self.constant_vertices.clone()
            located = sample.gt_keypoints2d_img[:, :2]
            sample.pred_keypoints2d_img = located.clone()
        return samples
