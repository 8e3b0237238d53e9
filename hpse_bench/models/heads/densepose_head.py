"""Chart-based DensePose head of a top-down person crop."""
from typing import Dict, List, Optional, Sequence, Union

from mmengine.structures import BaseDataElement, PixelData
from torch import Tensor, nn

from hpse_bench.registry import MODELS
from hpse_bench.structures.conventions import NUM_DENSEPOSE_CHARTS
from hpse_bench.structures.densepose_chart_prediction import \
    DensePoseChartPrediction
from .part_segmentation_head import NUM_PART_CLASSES, PartSegmentationHead

# 24 surface charts + background.
NUM_CHART_CLASSES = NUM_DENSEPOSE_CHARTS + 1


@MODELS.register_module()
class DensePoseHead(PartSegmentationHead):
    """Dense surface correspondence: coarse parts, charts and chart (U, V).

    DensePose estimation (Gueler et al., "DensePose: Dense Human Pose
    Estimation In The Wild", CVPR 2018) on a top-down person crop, the
    DensePose pre-training task of Choi et al. (ICLR 2023, Sec. 5). The
    upsampling is :class:`PartSegmentationHead`'s (SimpleBaseline's
    transposed convolutions); 1x1 convolutions on the upsampled features
    predict, as detectron2's ``DensePoseChartPredictor``:

    - ``coarse_segm``: 14 coarse parts + background (the part-segmentation
      output, :class:`PartSegmentationHead`'s layer);
    - ``fine_segm``: 24 charts + background (``I``);
    - ``u``, ``v``: the chart coordinates, one channel per chart.

    The three chart outputs come from one convolution (``chart_layer``,
    ``3 * num_charts`` channels, split in this order): one kernel instead of
    three, the same function.

    Args:
        in_channels: channels of the backbone's last feature map.
        num_classes: coarse classes including background.
        num_charts: chart classes including background.
        deconv_out_channels: channels of each transposed convolution.
        deconv_kernel_sizes: kernel of each.
        loss: config of the loss, ``dict(type='DensePoseLoss')`` by default.
        init_cfg: initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int = NUM_PART_CLASSES,
                 num_charts: int = NUM_CHART_CLASSES,
                 deconv_out_channels: Sequence[int] = (256, 256, 256),
                 deconv_kernel_sizes: Sequence[int] = (4, 4, 4),
                 loss: dict = dict(type='DensePoseLoss'),
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(
            in_channels=in_channels,
            num_classes=num_classes,
            deconv_out_channels=deconv_out_channels,
            deconv_kernel_sizes=deconv_kernel_sizes,
            loss=loss,
            init_cfg=init_cfg)
        self.num_charts = num_charts
        self.chart_layer = nn.Conv2d(self.feat_channels, 3 * num_charts, 1)

    def forward(self, feats: Sequence[Tensor]) -> DensePoseChartPrediction:
        x = self.forward_features(feats)
        fine_segm, u, v = self.chart_layer(x).split(self.num_charts, dim=1)
        return DensePoseChartPrediction(
            coarse_segm=self.coarse_segm_layer(x),
            fine_segm=fine_segm,
            u=u,
            v=v)

    def loss(self,
             feats: Sequence[Tensor],
             data_samples: Sequence[BaseDataElement],
             train_cfg: Optional[dict] = None) -> Dict[str, Tensor]:
        """``loss_dp_segm``, ``loss_dp_I``, ``loss_dp_U``, ``loss_dp_V``."""
        pred = self.forward(feats)
        targets = self.pack_targets(data_samples, pred.fine_segm.device)
        return self.loss_module(pred, targets)

    def predict(self,
                feats: Sequence[Tensor],
                data_samples: Sequence[BaseDataElement],
                test_cfg: Optional[dict] = None) -> List[BaseDataElement]:
        """Per-sample ``pred_densepose``, a ``PixelData`` of ``(1, h, w)``
        maps at the output resolution: ``coarse_segm`` (part labels),
        ``charts`` (chart label, 0 where the coarse label is background, as
        detectron2 masks the fine segmentation), ``u`` and ``v`` (of that
        chart; 0 on background); and ``pred_part_segm`` as
        :class:`PartSegmentationHead` gives it."""
        pred = self.forward(feats)
        coarse = pred.coarse_segm.argmax(dim=1, keepdim=True)
        charts = pred.fine_segm.argmax(dim=1, keepdim=True)
        charts = charts * (coarse > 0)
        u = pred.u.gather(1, charts) * (charts > 0)
        v = pred.v.gather(1, charts) * (charts > 0)
        return [
            BaseDataElement(
                pred_densepose=PixelData(
                    coarse_segm=coarse[i], charts=charts[i], u=u[i],
                    v=v[i]),
                pred_part_segm=PixelData(
                    data=coarse[i], logits=pred.coarse_segm[i]))
            for i in range(coarse.shape[0])
        ]
