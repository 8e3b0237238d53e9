"""Integral 3D human pose regression."""
from typing import Dict, List, Optional, Tuple

import torch

from hpse_bench.registry import MODELS
from hpse_bench.structures import HumanDataSample
from hpse_bench.structures.conventions import COCO_17, H36M_17, H36M_PELVIS_ID
from ..losses.keypoint_losses import elementwise_criterion
from .base_regressor import BaseRegressor, ConfigType
from .crop_coordinates import crop_to_normalized
from .sample_fields import stack_field


def _shared_coco_joints() -> Tuple[List[int], List[int]]:
    """(H36M-17 index, COCO-17 index) of the joints both sets name alike."""
    h36m, coco = [], []
    for i, name in enumerate(H36M_17):
        if name in COCO_17:
            h36m.append(i)
            coco.append(COCO_17.index(name))
    return h36m, coco


@MODELS.register_module()
class IntegralPoseRegressor(BaseRegressor):
    """Integral regression of H36M-17 joints (Sun et al., "Integral Human
    Pose Regression", ECCV 2018), the scheme the 2D-pre-training study
    extends.

    Backbone -> ``IntegralPoseHead`` (deconvolutions -> one ``D x H x W``
    volume per joint) -> soft-argmax. A joint's ``x, y`` are image-plane
    positions (normalised crop coordinates) and ``z`` its depth relative to
    the pelvis, ``[-1, 1]`` spanning ``depth_range`` metres. Image-plane
    offsets from the pelvis become metres through a per-sample scale
    (metres per half crop side, ``unit_scale_prior`` times the head's
    positive regressed factor), so ``pred_keypoints3d`` is metric.

    Losses (L1, as Sun et al.):

    - ``loss_keypoints2d`` on ``x, y`` for every sample: the target is
      ``gt_keypoints2d_img`` (H36M-17, original pixels) mapped into the crop
      by ``warp_mat``; joints absent there but present in the COCO-17
      ``gt_keypoints2d`` under the same name (shoulders, elbows, wrists,
      hips, knees, ankles) use the COCO position, so COCO-only samples
      supervise ``x, y`` only;
    - ``loss_depth`` on ``z`` for ``has_keypoints3d`` samples;
    - ``loss_keypoints3d``: metric root-relative joints vs
      ``gt_keypoints3d`` for ``has_keypoints3d`` samples; the image-plane
      coordinates are detached there so that this term trains the metric
      scale only and ``x, y`` stay image-aligned.

    Args:
        backbone: backbone config.
        head: head config (``IntegralPoseHead``).
        depth_range: metres spanned by the depth axis (root at its centre).
        unit_scale_prior: metres per half crop side before the regressed
            factor (a crop of a standing person spans about 2 m).
        loss_weight_2d / loss_weight_depth / loss_weight_3d: weights.
        data_preprocessor: defaults to ImageNet mean/std with BGR -> RGB.
        init_cfg: MMEngine initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType = dict(
                     type='IntegralPoseHead', in_channels=2048),
                 depth_range: float = 2.0,
                 unit_scale_prior: float = 1.0,
                 loss_weight_2d: float = 1.0,
                 loss_weight_depth: float = 1.0,
                 loss_weight_3d: float = 1.0,
                 data_preprocessor: Optional[ConfigType] = None,
                 init_cfg=None):
        super().__init__(
            backbone=backbone,
            head=head,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if self.head.num_joints != len(H36M_17):
            raise ValueError('IntegralPoseRegressor predicts H36M-17: the '
                             f'head must have {len(H36M_17)} joints, got '
                             f'{self.head.num_joints}')
        self.depth_range = float(depth_range)
        self.unit_scale_prior = float(unit_scale_prior)
        self.loss_weight_2d = loss_weight_2d
        self.loss_weight_depth = loss_weight_depth
        self.loss_weight_3d = loss_weight_3d
        h36m, coco = _shared_coco_joints()
        self.register_buffer(
            'shared_h36m', torch.tensor(h36m), persistent=False)
        self.register_buffer(
            'shared_coco', torch.tensor(coco), persistent=False)

    def decode(self, preds: Dict[str, torch.Tensor],
               img_shape: Tuple[int, int],
               heatmap_shape: Tuple[int, int]) -> Dict[str, torch.Tensor]:
        """Voxel coordinates -> crop-normalised ``x, y``, metric joints.

        Returns:
            dict with ``uv`` ``(B, J, 2)`` normalised crop coordinates,
            ``depth`` ``(B, J)`` in ``[-1, 1]``, ``keypoints3d`` ``(B, J, 3)``
            pelvis-relative metres (and ``keypoints3d_scale_only``: the same
            with ``uv`` detached).
        """
        h, w = img_shape
        hh, hw = heatmap_shape
        vox = preds['pred_voxels']
        # Inverse of joint_sampling.image_to_feature_coords: cell i's centre
        # is at input pixel (i + 0.5) * stride - 0.5.
        stride = vox.new_tensor([w / hw, h / hh])
        crop = (vox[..., :2] + 0.5) * stride - 0.5
        uv = crop_to_normalized(crop, img_shape)
        depth = (vox[..., 2] + 0.5) / self.head.depth_bins * 2.0 - 1.0
        unit = self.unit_scale_prior * preds['pred_unit_scale']
        side = float(max(h, w))
        aspect = uv.new_tensor([w / side, h / side])

        def metric(uv_):
            rel = uv_ - uv_[:, H36M_PELVIS_ID:H36M_PELVIS_ID + 1]
            xy = rel * aspect * unit[:, None, None]
            z = (depth - depth[:, H36M_PELVIS_ID:H36M_PELVIS_ID + 1]
                 ) * self.depth_range / 2.0
            return torch.cat([xy, z[..., None]], dim=-1)

        return dict(
            uv=uv,
            depth=depth,
            keypoints3d=metric(uv),
            keypoints3d_scale_only=metric(uv.detach()))

    def _forward(self, inputs: torch.Tensor,
                 data_samples: Optional[List[HumanDataSample]] = None
                 ) -> Dict[str, torch.Tensor]:
        preds = self.head(self.extract_feat(inputs))
        preds.update(
            self.decode(preds, self._input_shape(inputs),
                        tuple(preds['heatmaps'].shape[-2:])))
        return preds

    def collect_targets(self, data_samples: List[HumanDataSample],
                        device, img_shape) -> Dict[str, torch.Tensor]:
        """2D targets in normalised crop coordinates and 3D targets."""
        kp_img = stack_field(data_samples, 'gt_keypoints2d_img', device,
                             (17, 3))
        warp = self._warp_mats(data_samples, device).to(kp_img.dtype)
        crop = (warp[:, None, :, :2] @ kp_img[..., :2, None])[..., 0] + \
            warp[:, None, :, 2]
        conf = kp_img[..., 2].clone()
        coco = stack_field(data_samples, 'gt_keypoints2d', device, (17, 3))
        fill = (conf[:, self.shared_h36m] <= 0) & (
            coco[:, self.shared_coco, 2] > 0)
        crop[:, self.shared_h36m] = torch.where(
            fill[..., None], coco[:, self.shared_coco, :2],
            crop[:, self.shared_h36m])
        conf[:, self.shared_h36m] = torch.where(
            fill, coco[:, self.shared_coco, 2], conf[:, self.shared_h36m])
        kp3d = stack_field(data_samples, 'gt_keypoints3d', device, (17, 4))
        return dict(
            uv=crop_to_normalized(crop, img_shape),
            uv_conf=conf,
            keypoints3d=kp3d[..., :3],
            keypoints3d_conf=kp3d[..., 3],
            has_keypoints3d=stack_field(data_samples, 'has_keypoints3d',
                                        device, ()))

    def loss(self, inputs: torch.Tensor,
             data_samples: List[HumanDataSample]) -> Dict[str, torch.Tensor]:
        img_shape = self._input_shape(inputs)
        preds = self._forward(inputs, data_samples)
        t = self.collect_targets(data_samples, inputs.device, img_shape)
        err2d = elementwise_criterion(preds['uv'], t['uv'], 'l1')
        loss_2d = (t['uv_conf'][..., None] * err2d).mean()

        valid = t['has_keypoints3d'] > 0
        zero = preds['depth'].sum() * 0.0 + preds['pred_unit_scale'].sum(
        ) * 0.0
        if bool(valid.any()):
            gt = t['keypoints3d'][valid]
            gt = gt - gt[:, H36M_PELVIS_ID:H36M_PELVIS_ID + 1]
            conf = t['keypoints3d_conf'][valid]
            gt_depth = gt[..., 2] / (self.depth_range / 2.0)
            pred_depth = preds['depth'][valid]
            pred_depth = pred_depth - pred_depth[:, H36M_PELVIS_ID:
                                                 H36M_PELVIS_ID + 1]
            loss_depth = (conf * elementwise_criterion(
                pred_depth, gt_depth, 'l1')).mean()
            err3d = elementwise_criterion(
                preds['keypoints3d_scale_only'][valid], gt, 'l1')
            loss_3d = (conf[..., None] * err3d).mean()
        else:
            loss_depth, loss_3d = zero, zero
        return dict(
            loss_keypoints2d=self.loss_weight_2d * loss_2d,
            loss_depth=self.loss_weight_depth * loss_depth,
            loss_keypoints3d=self.loss_weight_3d * loss_3d)

    def predict(self, inputs: torch.Tensor,
                data_samples: List[HumanDataSample]
                ) -> List[HumanDataSample]:
        """Fill ``pred_keypoints3d`` (pelvis-relative metres) and
        ``pred_keypoints2d_img``; this model predicts no mesh."""
        img_shape = self._input_shape(inputs)
        preds = self._forward(inputs, data_samples)
        kp2d_img = self.keypoints_crop_to_image(preds['uv'], img_shape,
                                                data_samples)
        for i, sample in enumerate(data_samples):
            sample.pred_keypoints3d = preds['keypoints3d'][i].detach()
            sample.pred_keypoints2d_img = kp2d_img[i].detach()
        return data_samples
