import math
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.structures import BaseDataElement
from torch import Tensor, nn

from hpse_bench.registry import MODELS
from hpse_bench.utils.dist import rank_unique_ids
from .base_contrastive_pretrainer import BaseContrastivePretrainer


def rotate_points(points: Tensor, angle_deg: Tensor,
                  center: Tensor) -> Tensor:
    """Rotate 2D point clouds about ``center``.

    Uses ``cv2.getRotationMatrix2D``'s matrix ``[[cos, sin], [-sin, cos]]``,
    the convention of ``KeypointMultiView``'s ``view_warp_matrix``, so that
    rotating by a view's recorded angle moves points as that view moved the
    image.

    Args:
        points: ``(N, P, 2)``.
        angle_deg: ``(N,)`` degrees.
        center: ``(N, 2)``.
    """
    theta = angle_deg.to(points.dtype) * (math.pi / 180)
    cos, sin = torch.cos(theta), torch.sin(theta)
    rot = torch.stack([torch.stack([cos, sin], -1),
                       torch.stack([-sin, cos], -1)], -2)  # (N, 2, 2)
    centered = points - center[:, None]
    return centered @ rot.transpose(1, 2) + center[:, None]


def undo_view_transform(points: Tensor, rotation: Tensor,
                        translation: Tensor) -> Tensor:
    """PeCLR's inverse of a view's translation and rotation in the
    embedding space (Spurr et al., ICCV 2021, Sec. 3.2).

    The translation, a fraction of the image size, is scaled by the extent
    (max - min per axis) of each point cloud and subtracted; then the cloud
    is rotated by ``-rotation`` about its centroid. Extent and centroid are
    detached, as in PeCLR, so the network is not pushed to shrink the cloud.

    Args:
        points: ``(N, P, 2)`` embeddings read as ``P`` 2D points.
        rotation: ``(N,)`` degrees the view was rotated by.
        translation: ``(N, 2)`` the view's shift as fractions of (w, h).
    """
    detached = points.detach()
    extent = detached.amax(dim=1) - detached.amin(dim=1)  # (N, 2)
    points = points - (translation.to(points.dtype) * extent)[:, None]
    centroid = points.detach().mean(dim=1)
    return rotate_points(points, -rotation, centroid)


@MODELS.register_module()
class PeCLR(BaseContrastivePretrainer):
    """PeCLR: pose-equivariant contrastive learning.

    Spurr et al., "Self-Supervised 3D Hand Pose Estimation from Monocular
    RGB via Contrastive Learning", ICCV 2021. SimCLR (NT-Xent over two
    views, negatives from the global batch) whose projection (2048-512-128)
    is read as 64 2D points; after L2 normalisation each view's translation
    and rotation are undone (:func:`undo_view_transform`), the result is
    normalised again and contrasted at temperature 0.5. Appearance and
    scale changes stay invariant.

    Args:
        backbone: backbone config.
        neck: projection to an even dimension, e.g.
            ``dict(type='mmpretrain.NonLinearNeck', in_channels=2048,
            hid_channels=512, out_channels=128, with_last_bn=False)``.
        head: e.g. ``dict(type='SupConHead', temperature=0.5)``.
        data_preprocessor: defaults to mmpretrain's SelfSupDataPreprocessor.
        init_cfg: initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)

    def project(self, images: Tensor) -> Tensor:
        """Normalised projections read as 2D points, ``(N, D / 2, 2)``."""
        z = self.neck(self.backbone(images))[0]
        if z.shape[1] % 2:
            raise ValueError('PeCLR reads the projection as 2D points; its '
                             f'dimension {z.shape[1]} is odd')
        return F.normalize(z, dim=1).reshape(z.shape[0], -1, 2)

    def equivariant_embeddings(self, inputs: List[Tensor],
                               data_samples: List[BaseDataElement]
                               ) -> Tensor:
        """``(V * B, D)`` embeddings with each view's transform undone."""
        num_views = len(inputs)
        points = self.project(self.stack_views(inputs))
        rotation = self.stack_field(data_samples, 'view_rotation', num_views)
        translation = self.stack_field(data_samples, 'view_translation',
                                       num_views)
        points = undo_view_transform(points, rotation, translation)
        return F.normalize(points.reshape(points.shape[0], -1), dim=1)

    def loss(self, inputs: List[Tensor], data_samples: List[BaseDataElement],
             **kwargs) -> Dict[str, Tensor]:
        """NT-Xent of the transform-corrected embeddings."""
        if isinstance(inputs, Tensor) or len(inputs) < 2:
            raise ValueError('PeCLR needs at least two views per sample')
        embeddings = self.equivariant_embeddings(inputs, data_samples)
        image_ids = rank_unique_ids(len(data_samples), embeddings.device)
        labels = image_ids.repeat(len(inputs))
        return dict(loss=self.head.loss(embeddings, labels))

    def embed(self, inputs: List[Tensor],
              data_samples: List[BaseDataElement]) -> Tensor:
        return self.equivariant_embeddings(inputs, data_samples)
