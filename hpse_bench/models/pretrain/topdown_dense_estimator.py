"""Top-down dense estimation (DensePose, part segmentation) as pre-training."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import Tensor, nn

from hpse_bench.registry import MODELS
from ..utils import ScopedInitMixin, build_module


@MODELS.register_module()
class TopdownDenseEstimator(ScopedInitMixin, BaseModel):
    """Backbone + dense head on top-down person crops.

    The 2D-annotation pre-training tasks of Choi et al. (ICLR 2023, Sec. 5)
    that predict a map per crop: DensePose estimation
    (``head=dict(type='DensePoseHead')``) and part segmentation
    (``head=dict(type='PartSegmentationHead')``). The interface is mmpose's
    ``TopdownPoseEstimator``: the backbone (``'mmpretrain.ResNet'`` or
    ``'mmpose.ResNet'``, both with torchvision's key layout, so the exported
    backbone loads in the fine-tuning stage), an optional neck and the head
    are built from the config, and :meth:`forward` has the modes
    ``'loss'``, ``'predict'`` and ``'tensor'``.

    Args:
        backbone: backbone config.
        head: dense head config; the head implements ``forward(feats)``,
            ``loss(feats, data_samples, train_cfg)`` and
            ``predict(feats, data_samples, test_cfg)``.
        neck: optional neck config.
        train_cfg: passed to the head's ``loss``.
        test_cfg: passed to the head's ``predict``.
        data_preprocessor: defaults to mmpose's ``PoseDataPreprocessor``.
        init_cfg: initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 neck: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='mmpose.PoseDataPreprocessor')
        super().__init__(
            data_preprocessor=build_module(data_preprocessor),
            init_cfg=init_cfg)
        self.backbone = build_module(backbone)
        self.neck = build_module(neck)
        self.head = build_module(head)
        self.train_cfg = train_cfg if train_cfg else {}
        self.test_cfg = test_cfg if test_cfg else {}

    @property
    def with_neck(self) -> bool:
        return self.neck is not None

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """Backbone (and neck) features of ``(B, 3, H, W)`` crops."""
        x = self.backbone(inputs)
        if self.with_neck:
            x = self.neck(x)
        if isinstance(x, Tensor):
            x = (x, )
        return tuple(x)

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs)
        raise ValueError(f'invalid mode "{mode}"; use "loss", "predict" or '
                         '"tensor"')

    def loss(self, inputs: Tensor,
             data_samples: Sequence[BaseDataElement]) -> Dict[str, Tensor]:
        """The head's losses on a batch."""
        feats = self.extract_feat(inputs)
        return self.head.loss(feats, data_samples, train_cfg=self.train_cfg)

    def predict(self, inputs: Tensor,
                data_samples: Sequence[BaseDataElement]
                ) -> List[BaseDataElement]:
        """The data samples with the head's prediction fields added (e.g.
        ``pred_densepose``, ``pred_part_segm``)."""
        feats = self.extract_feat(inputs)
        preds = self.head.predict(feats, data_samples, test_cfg=self.test_cfg)
        if len(preds) != len(data_samples):
            raise RuntimeError(f'the head predicted {len(preds)} samples for '
                               f'{len(data_samples)} inputs')
        for sample, pred in zip(data_samples, preds):
            sample.set_data(dict(pred.items()))
        return list(data_samples)

    def _forward(self, inputs: Tensor):
        """The head's raw output (a tensor or a tuple of tensors)."""
        return self.head.forward(self.extract_feat(inputs))
