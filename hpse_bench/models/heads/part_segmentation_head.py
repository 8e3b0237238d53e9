"""Coarse body-part segmentation head of a top-down person crop."""
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.model import BaseModule
from mmengine.structures import BaseDataElement, PixelData
from torch import Tensor, nn

from hpse_bench.models.utils.scoped_build import build_module
from hpse_bench.registry import MODELS
from hpse_bench.structures.conventions import NUM_DENSEPOSE_COARSE
from hpse_bench.structures.densepose_target import (DensePoseTarget,
                                                    PackedDensePoseTargets)
from .pare_head import make_deconv_layers

# 14 coarse DensePose parts + background.
NUM_PART_CLASSES = NUM_DENSEPOSE_COARSE + 1


@MODELS.register_module()
class PartSegmentationHead(BaseModule):
    """Per-pixel classification of the 14 coarse body parts + background.

    The part-segmentation pre-training task of Choi et al. (ICLR 2023,
    Sec. 5), on the coarse part masks of COCO-DensePose. The head is
    SimpleBaseline's (Xiao et al., ECCV 2018): transposed convolutions
    (BN, ReLU) upsample the backbone's last feature map (stride 32 -> 4 with
    the default three), and a 1x1 convolution predicts the part logits, as
    mmpose's ``HeatmapHead`` predicts keypoint heatmaps.

    Ground truth is ``gt_densepose.coarse_segm`` of each data sample (see
    :class:`~hpse_bench.datasets.transforms.PackDensePoseInputs`).

    Args:
        in_channels: channels of the backbone's last feature map.
        num_classes: part classes including background.
        deconv_out_channels: channels of each transposed convolution.
        deconv_kernel_sizes: kernel of each (4, 3 or 2; each doubles the
            resolution).
        loss: config of the segmentation loss.
        init_cfg: initialisation config; defaults to mmpose's for heatmap
            heads.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int = NUM_PART_CLASSES,
                 deconv_out_channels: Sequence[int] = (256, 256, 256),
                 deconv_kernel_sizes: Sequence[int] = (4, 4, 4),
                 loss: dict = dict(type='PartSegmentationLoss'),
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if init_cfg is None:
            init_cfg = [
                dict(type='Normal', layer=['Conv2d', 'ConvTranspose2d'],
                     std=0.001),
                dict(type='Constant', layer='BatchNorm2d', val=1)
            ]
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.deconv_layers = make_deconv_layers(in_channels,
                                                deconv_out_channels,
                                                deconv_kernel_sizes)
        self.feat_channels = (deconv_out_channels[-1]
                              if len(deconv_out_channels) else in_channels)
        self.coarse_segm_layer = nn.Conv2d(self.feat_channels, num_classes,
                                           1)
        self.loss_module = build_module(loss)

    def forward_features(self, feats: Sequence[Tensor]) -> Tensor:
        """Upsampled features ``(B, feat_channels, h, w)`` of the last
        backbone map."""
        return self.deconv_layers(feats[-1])

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Part logits ``(B, num_classes, h, w)``."""
        return self.coarse_segm_layer(self.forward_features(feats))

    @staticmethod
    def pack_targets(data_samples: Sequence[BaseDataElement],
                     device: torch.device) -> PackedDensePoseTargets:
        """The ``gt_densepose`` of the samples as batch tensors."""
        missing = [i for i, s in enumerate(data_samples)
                   if 'gt_densepose' not in s]
        if missing:
            raise KeyError(f'data samples {missing} have no "gt_densepose"; '
                           'end the pipeline with PackDensePoseInputs')
        return DensePoseTarget.pack([s.gt_densepose for s in data_samples],
                                    device=device)

    def loss(self,
             feats: Sequence[Tensor],
             data_samples: Sequence[BaseDataElement],
             train_cfg: Optional[dict] = None) -> Dict[str, Tensor]:
        """``loss_part_segm`` of a batch."""
        logits = self.forward(feats)
        targets = self.pack_targets(data_samples, logits.device)
        return dict(
            loss_part_segm=self.loss_module(logits, targets.coarse_segm,
                                            targets.has_densepose))

    def predict(self,
                feats: Sequence[Tensor],
                data_samples: Sequence[BaseDataElement],
                test_cfg: Optional[dict] = None) -> List[BaseDataElement]:
        """Per-sample ``pred_part_segm``: ``PixelData`` with ``data``
        ``(1, h, w)`` labels and ``logits`` ``(num_classes, h, w)``, at the
        output resolution (stride 4 of the input by default)."""
        logits = self.forward(feats)
        labels = logits.argmax(dim=1, keepdim=True)
        return [
            BaseDataElement(
                pred_part_segm=PixelData(data=labels[i], logits=logits[i]))
            for i in range(logits.shape[0])
        ]
