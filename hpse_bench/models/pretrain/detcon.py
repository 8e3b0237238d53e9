from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.structures import BaseDataElement
from torch import Tensor, nn

from hpse_bench.registry import MODELS
from hpse_bench.utils.dist import rank_unique_ids
from .base_contrastive_pretrainer import BaseContrastivePretrainer


def mask_pool(feats: Tensor, segments: Tensor,
              num_segments: int) -> Tuple[Tensor, Tensor]:
    """Average backbone features inside each segment.

    The segment map is turned into one binary mask per segment, each
    area-averaged to the feature resolution (the fraction of every feature
    cell the segment covers); features are averaged with these weights
    (Henaff et al., ICCV 2021, Eq. 1).

    Args:
        feats: ``(N, C, h, w)``.
        segments: ``(N, H, W)`` ids in ``-1..num_segments-1`` (-1: none).
        num_segments: number of mask channels ``S``.

    Returns:
        tuple: pooled features ``(N, S, C)`` and mask areas ``(N, S)`` in
        feature cells (0 for segments absent from a view).
    """
    onehot = F.one_hot((segments + 1).clamp(min=0), num_segments + 1)
    masks = onehot[..., 1:].permute(0, 3, 1, 2).to(feats.dtype)
    weights = F.adaptive_avg_pool2d(masks, feats.shape[-2:])  # (N, S, h, w)
    area = weights.sum(dim=(2, 3))
    pooled = torch.einsum('nshw,nchw->nsc', weights, feats)
    return pooled / area.clamp(min=1e-6)[..., None], area


@MODELS.register_module()
class DetCon(BaseContrastivePretrainer):
    """DetCon_S: contrastive detection with unsupervised masks.

    Henaff et al., "Efficient Visual Pretraining with Contrastive
    Detection", ICCV 2021, the SimCLR-based variant. Segments of the
    un-augmented crop (Felzenszwalb-Huttenlocher,
    :class:`~hpse_bench.datasets.transforms.FelzenszwalbSegments`) are
    warped with each view; backbone features are mask-pooled per segment
    (:func:`mask_pool`), projected and contrasted: a segment's positive is
    the same segment in the other view, every other segment of the global
    batch (other segments of the same image, other images, other ranks) is a
    negative; temperature 0.1. Only segments present in every view (area of
    at least ``min_area`` feature cells) are used.

    Args:
        backbone: backbone config; its last output is pooled.
        neck: projection of pooled features ``(N, C) -> (N, D)``, e.g.
            ``dict(type='ProjectionMLP', norm_cfg=dict(type='SyncBN'))``
            (it accepts ``N = 0``).
        head: e.g. ``dict(type='SupConHead', temperature=0.1)``.
        min_area: minimum mask area in feature cells, in every view.
        data_preprocessor: defaults to mmpretrain's SelfSupDataPreprocessor.
        init_cfg: initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 min_area: float = 0.25,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.min_area = min_area

    def segment_features(self, inputs: List[Tensor],
                         data_samples: List[BaseDataElement]
                         ) -> Tuple[Tensor, Tensor]:
        """Mask-pooled features ``(V * B, S, C)`` and ``(B, S)`` validity
        (present in every view)."""
        num_views = len(inputs)
        feats = self.backbone(self.stack_views(inputs))[-1]
        segments = self.stack_field(data_samples, 'gt_segments', num_views)
        num_segments = max(int(segments.max()) + 1, 1)
        pooled, area = mask_pool(feats, segments, num_segments)
        area = area.reshape(num_views, len(data_samples), num_segments)
        valid = (area >= self.min_area).all(dim=0)
        return pooled, valid

    def loss(self, inputs: List[Tensor], data_samples: List[BaseDataElement],
             **kwargs) -> Dict[str, Tensor]:
        """NT-Xent over mask embeddings of all views."""
        if isinstance(inputs, Tensor) or len(inputs) < 2:
            raise ValueError('DetCon needs at least two views per sample')
        num_views = len(inputs)
        pooled, valid = self.segment_features(inputs, data_samples)
        num_samples, num_segments = valid.shape
        image_ids = rank_unique_ids(num_samples, pooled.device)
        labels = torch.stack(
            torch.broadcast_tensors(
                image_ids[:, None],
                torch.arange(num_segments, device=pooled.device)[None]),
            dim=-1)  # (B, S, 2)
        rows = valid.repeat(num_views, 1)  # (V * B, S)
        embeddings = self.neck((pooled[rows], ))[0]
        loss = self.head.loss(embeddings, labels.repeat(num_views, 1, 1)[rows])
        return dict(loss=loss)

    def embed(self, inputs: List[Tensor],
              data_samples: List[BaseDataElement]) -> Tensor:
        """``(B, S, D)`` normalised segment embeddings of the first view;
        zeros for absent segments."""
        pooled, valid = self.segment_features(inputs, data_samples)
        b, s, c = pooled.shape
        emb = F.normalize(self.neck((pooled.reshape(b * s, c), ))[0])
        return emb.reshape(b, s, -1) * valid[..., None]
