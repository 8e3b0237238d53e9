"""HMR, and SPIN's training of it (in-the-loop SMPLify as an option)."""
from typing import Dict, List, Optional

import torch

from hpse_bench.registry import MODELS, TASK_UTILS
from hpse_bench.structures import HumanDataSample
from hpse_bench.structures.rotation import matrix_to_axis_angle
from .base_mesh_regressor import BaseMeshRegressor
from ..utils import build_module
from .base_regressor import ConfigType
from .crop_coordinates import normalized_to_crop
from .smplify import estimate_translation


@MODELS.register_module()
class HMR(BaseMeshRegressor):
    """Human Mesh Recovery (Kanazawa et al., CVPR 2018) as trained by SPIN.

    Backbone -> global average pool -> iterative error feedback from the
    mean SMPL parameters (``HMRHead``, 6D rotations), weak-perspective
    camera; SPIN's losses (``BaseMeshRegressor``).

    With ``use_smplify=True`` this is SPIN (Kolotouros et al., ICCV 2019):
    every training step fits SMPL to the 2D keypoints from the (detached)
    regression and supervises the SMPL parameters with the fit of each
    sample whose re-projection error is lower than that of its stored
    parameters (the ground truth when ``has_smpl``, kept regardless when
    ``keep_gt_smpl``), provided it is below ``smplify_threshold``.
    Within a step only: fits are not written back to a dataset.

    Args:
        backbone: backbone config.
        head: head config (``HMRHead``).
        use_smplify: enable SPIN's in-the-loop fitting.
        smplify: ``SMPLify`` config (``TASK_UTILS``).
        smplify_threshold: largest accepted fit error (mean Geman-McClure
            residual per joint, 224-crop pixels squared, as SPIN's 100).
        keep_gt_smpl: never replace ground-truth SMPL parameters by a fit
            (SPIN's behaviour for datasets with ground-truth SMPL).
        **kwargs: ``BaseMeshRegressor`` arguments (``smpl_root``, losses).
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType = dict(type='HMRHead', in_channels=2048),
                 use_smplify: bool = False,
                 smplify: Optional[dict] = dict(type='SMPLify'),
                 smplify_threshold: float = 100.0,
                 keep_gt_smpl: bool = True,
                 **kwargs):
        super().__init__(backbone=backbone, head=head, **kwargs)
        self.use_smplify = use_smplify
        if use_smplify:
            if smplify is None:
                raise ValueError('use_smplify=True needs a smplify config')
            smplify = dict(smplify)
            smplify.setdefault('focal_length', self.focal_length)
            self.smplify = build_module(smplify, TASK_UTILS)
        else:
            self.smplify = None
        self.smplify_threshold = smplify_threshold
        self.keep_gt_smpl = keep_gt_smpl

    def loss(self, inputs: torch.Tensor,
             data_samples: List[HumanDataSample]) -> Dict[str, torch.Tensor]:
        img_shape = self._input_shape(inputs)
        preds = self._forward(inputs, data_samples)
        targets = self.collect_targets(data_samples, inputs.device, img_shape)
        if not self.use_smplify:
            return self.mesh_losses(preds, targets, img_shape)
        pose, betas, has_smpl, stats = self.fit_pseudo_gt(
            preds, targets, data_samples, img_shape)
        losses = self.mesh_losses(
            preds,
            targets,
            img_shape,
            smpl_pose=pose,
            smpl_betas=betas,
            has_smpl=has_smpl)
        losses.update(stats)
        return losses

    @torch.no_grad()
    def fit_pseudo_gt(self, preds: Dict[str, torch.Tensor],
                      targets: Dict[str, torch.Tensor],
                      data_samples: List[HumanDataSample],
                      img_shape) -> tuple:
        """SPIN's fitting step: returns the SMPL supervision of the batch.

        Returns:
            ``(pose (B, 72), betas (B, 10), valid (B,), stats)``; ``stats``
            holds logged, non-loss scalars (``smplify_accept``: fraction of
            samples supervised by a new fit; ``smplify_error``).
        """
        img_size = float(img_shape[1])
        batch = preds['pred_rotmat'].shape[0]
        # Keypoints in crop pixels, as SMPLify measures in pixels.
        kp2d = torch.cat([
            normalized_to_crop(targets['keypoints2d'], img_shape),
            targets['keypoints2d_conf'][..., None]
        ], dim=-1)
        init_pose = matrix_to_axis_angle(preds['pred_rotmat'].detach()
                                         ).reshape(batch, -1)
        init_transl = self.camera_translation(preds['pred_cam'].detach(),
                                              img_shape)
        fit = self.smplify(self.body_model, init_pose,
                           preds['pred_betas'].detach(), init_transl, kp2d,
                           img_size)

        has_smpl = targets['has_smpl'] > 0
        stored_pose = targets['smpl_pose']
        stored_betas = targets['smpl_betas']
        stored_error = torch.full_like(fit['error'], float('inf'))
        if bool(has_smpl.any()):
            joints = self.run_body_model(
                pose=stored_pose, betas=stored_betas)['keypoints_coco17']
            transl = estimate_translation(joints, kp2d, self.focal_length,
                                          img_size)
            error = self.smplify.reprojection_error(self.body_model,
                                                    stored_pose, stored_betas,
                                                    transl, kp2d, img_size)
            stored_error = torch.where(has_smpl, error, stored_error)

        better = (fit['error'] < stored_error) & (
            fit['error'] < self.smplify_threshold)
        if self.keep_gt_smpl:
            better = better & ~has_smpl
        pose = torch.where(better[:, None], fit['pose'], stored_pose)
        betas = torch.where(better[:, None], fit['betas'], stored_betas)
        valid = (has_smpl | better).to(pose.dtype)
        finite = torch.isfinite(fit['error'])
        stats = dict(
            smplify_accept=better.float().mean(),
            smplify_error=(fit['error'][finite].mean()
                           if bool(finite.any()) else fit['error'].new_zeros(
                               ())))
        return pose, betas, valid, stats
