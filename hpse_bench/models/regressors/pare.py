"""PARE: Part Attention REgressor."""
from typing import Dict, List, Optional

import torch

from hpse_bench.registry import MODELS
from hpse_bench.structures import HumanDataSample
from .base_mesh_regressor import BaseMeshRegressor
from ..utils import build_module
from .base_regressor import ConfigType
from .sample_fields import stack_optional_labels


@MODELS.register_module()
class PARE(BaseMeshRegressor):
    """PARE (Kocabas et al., "PARE: Part Attention Regressor for 3D Human
    Body Estimation", ICCV 2021) with a ResNet backbone.

    ``PAREHead`` regresses SMPL from part-attended features; the losses are
    SPIN's (``BaseMeshRegressor``) plus the auxiliary part-segmentation
    cross-entropy of the attention branch (``loss_part_segmentation``).

    Part labels come from the optional sample field
    ``gt_part_segmentation``: a ``(H', W')`` integer map of the crop, 0 for
    background and ``1 + j`` for the body part skinned to SMPL joint ``j``
    (``SMPL_24`` order); any ``H', W'`` (``PartSegmentationLoss`` resamples
    it to the attention resolution). An optional ``has_part_segmentation``
    flag (0/1) marks samples whose map is real; without it every sample
    carrying the field counts as labelled. Samples without the field are
    unlabelled, and a batch without any gives a graph-connected zero.

    Args:
        backbone: backbone config.
        head: head config (``PAREHead``).
        loss_part_segmentation: part-segmentation loss config (PARE: weight
            1, times its global loss factor 60).
        **kwargs: ``BaseMeshRegressor`` arguments.
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType = dict(type='PAREHead', in_channels=2048),
                 loss_part_segmentation: Optional[dict] = dict(
                     type='PartSegmentationLoss', loss_weight=60.0),
                 **kwargs):
        super().__init__(backbone=backbone, head=head, **kwargs)
        self.loss_part_segmentation = build_module(loss_part_segmentation)

    def loss(self, inputs: torch.Tensor,
             data_samples: List[HumanDataSample]) -> Dict[str, torch.Tensor]:
        img_shape = self._input_shape(inputs)
        preds = self._forward(inputs, data_samples)
        targets = self.collect_targets(data_samples, inputs.device, img_shape)
        losses = self.mesh_losses(preds, targets, img_shape)
        if self.loss_part_segmentation is None:
            return losses
        logits = preds['pred_part_logits']
        labels, valid = stack_optional_labels(
            data_samples, 'gt_part_segmentation', 'has_part_segmentation',
            inputs.device, fill_value=0, dtype=torch.long)
        if labels is None:
            losses['loss_part_segmentation'] = logits.sum() * 0.0
        else:
            if bool(((labels < 0) | (labels >= logits.shape[1])).any()):
                raise ValueError(
                    'gt_part_segmentation labels must be in 0..'
                    f'{logits.shape[1] - 1} (0 = background)')
            losses['loss_part_segmentation'] = self.loss_part_segmentation(
                logits, labels, valid > 0)
        return losses
