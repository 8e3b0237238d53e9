"""Chart-based DensePose losses."""
from typing import Dict

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hpse_bench.models.utils.joint_sampling import (image_to_feature_coords,
                                                    sample_joint_features)
from hpse_bench.models.utils.scoped_build import build_module
from hpse_bench.registry import MODELS
from hpse_bench.structures.densepose_chart_prediction import \
    DensePoseChartPrediction
from hpse_bench.structures.densepose_target import PackedDensePoseTargets


@MODELS.register_module()
class DensePoseLoss(nn.Module):
    """The chart-based DensePose losses (Gueler et al., CVPR 2018, Sec. 4),
    as detectron2's ``DensePoseChartLoss`` computes them.

    - ``loss_dp_segm`` (``S``): cross-entropy of the 14 coarse parts +
      background over every pixel of the annotated crops
      (:class:`PartSegmentationLoss`, weight 5 as detectron2's
      ``INDEX_WEIGHTS``);
    - ``loss_dp_I``: cross-entropy of the chart (24 + background) logits
      sampled bilinearly at the annotated points, averaged over points
      (``index_weight``, detectron2's ``PART_WEIGHTS``);
    - ``loss_dp_U``, ``loss_dp_V``: smooth-L1 between the U / V of the
      ground-truth chart's channel, sampled at the points, and the annotated
      value; summed over points as in detectron2 (``uv_reduction='sum'``,
      weight ``uv_weight`` = ``POINT_REGRESSION_WEIGHTS``) or averaged.

    Points are in network-input pixels; they are taken to output-map pixels
    with the cell-centre convention and sampled with ``grid_sample``
    (:mod:`hpse_bench.models.utils.joint_sampling`), clamped to the map so a
    point within half a cell of the border reads the border cell. A batch
    without annotated points (or crops) gives zero-valued terms that are
    connected to the predictions, so that distributed ranks keep identical
    graphs.

    Args:
        loss_segm: config of the coarse-segmentation loss.
        index_weight: weight of ``loss_dp_I``.
        uv_weight: weight of ``loss_dp_U`` and ``loss_dp_V``.
        uv_reduction: ``'sum'`` (detectron2) or ``'mean'`` over points.
    """

    def __init__(self,
                 loss_segm: dict = dict(
                     type='PartSegmentationLoss', loss_weight=5.0),
                 index_weight: float = 1.0,
                 uv_weight: float = 0.01,
                 uv_reduction: str = 'sum') -> None:
        super().__init__()
        if uv_reduction not in ('sum', 'mean'):
            raise ValueError(
                f'uv_reduction must be "sum" or "mean", got "{uv_reduction}"')
        self.loss_segm = build_module(loss_segm)
        self.index_weight = index_weight
        self.uv_weight = uv_weight
        self.uv_reduction = uv_reduction

    @staticmethod
    def sample_at_points(maps: Tensor, points: Tensor) -> Tensor:
        """Bilinear values of ``maps`` ``(B, C, h, w)`` at ``points``
        ``(B, P, 2)`` in map pixels, clamped to the map: ``(B, P, C)``."""
        h, w = maps.shape[-2:]
        x = points[..., 0].clamp(0, w - 1)
        y = points[..., 1].clamp(0, h - 1)
        return sample_joint_features(maps, torch.stack([x, y], dim=-1))

    def forward(self, pred: DensePoseChartPrediction,
                target: PackedDensePoseTargets) -> Dict[str, Tensor]:
        """
        Args:
            pred: the head's maps.
            target: the batch's targets; ``coarse_segm`` has the network
                input size, which sets the scale of ``points``.

        Returns:
            dict: ``loss_dp_segm``, ``loss_dp_I``, ``loss_dp_U``,
            ``loss_dp_V``.
        """
        losses = dict(
            loss_dp_segm=self.loss_segm(pred.coarse_segm, target.coarse_segm,
                                        target.has_densepose))
        points = image_to_feature_coords(target.points,
                                         target.coarse_segm.shape[-2:],
                                         pred.fine_segm.shape[-2:])
        mask = (target.point_mask
                & target.has_densepose[:, None]).to(pred.fine_segm.dtype)
        num = mask.sum().clamp(min=1)

        fine = self.sample_at_points(pred.fine_segm, points)  # (B, P, 25)
        ce = F.cross_entropy(
            fine.flatten(0, 1), target.charts.flatten(),
            reduction='none').view_as(mask)
        losses['loss_dp_I'] = (ce * mask).sum() / num * self.index_weight

        chart = target.charts.unsqueeze(-1)
        for name, maps, gt in (('loss_dp_U', pred.u, target.u),
                               ('loss_dp_V', pred.v, target.v)):
            est = self.sample_at_points(maps, points).gather(-1, chart)
            err = F.smooth_l1_loss(est.squeeze(-1), gt, reduction='none')
            loss = (err * mask).sum()
            if self.uv_reduction == 'mean':
                loss = loss / num
            losses[name] = loss * self.uv_weight
        return losses
