from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.structures import BaseDataElement
from torch import Tensor, nn

from hpse_bench.models.utils.joint_sampling import (image_to_feature_coords,
                                                    sample_joint_features)
from hpse_bench.registry import MODELS
from hpse_bench.utils.dist import rank_unique_ids
from .base_contrastive_pretrainer import BaseContrastivePretrainer


@MODELS.register_module()
class JointCon(BaseContrastivePretrainer):
    """JointCon: contrastive learning of joint-level features.

    Choi et al., "Rethinking Self-Supervised Visual Representation Learning
    in Pre-training for 3D Human Pose and Shape Estimation", ICLR 2023,
    Sec. 3.3. Two augmented views of a person crop go through the backbone;
    the last feature map is sampled bilinearly at the ground-truth 2D joints
    that are visible in the view
    (:func:`~hpse_bench.models.utils.joint_sampling.sample_joint_features`);
    the joint features are projected by the neck, L2-normalised, and
    contrasted with a supervised contrastive loss
    (:class:`~hpse_bench.models.heads.SupConHead`): for every joint feature
    (anchor) the positives are

    * ``'image'`` (I): joints of the same image (any class, either view);
    * ``'joint'`` (J): joints of the same class (any image, either view);
    * ``'image_joint'`` (I+J): the same joint of the same image, i.e. its
      counterpart in the other view;

    and every other joint feature of the global batch is a negative.

    Args:
        backbone: backbone config; its last output is sampled.
        neck: projection of joint features ``(N, C) -> (N, D)``, e.g.
            ``dict(type='ProjectionMLP', ...)`` (it accepts ``N = 0``).
        head: contrastive head, e.g. ``dict(type='SupConHead',
            temperature=0.1)``.
        positive: ``'image'``, ``'joint'`` or ``'image_joint'``.
        data_preprocessor: defaults to mmpretrain's SelfSupDataPreprocessor.
        init_cfg: initialisation config.
    """

    POSITIVES = ('image', 'joint', 'image_joint')

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 positive: str = 'joint',
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if positive not in self.POSITIVES:
            raise ValueError(f'positive must be one of {self.POSITIVES}, '
                             f'got "{positive}"')
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.positive = positive

    def joint_features(self, inputs: List[Tensor],
                       data_samples: List[BaseDataElement]
                       ) -> Tuple[Tensor, Tensor, Tensor]:
        """Backbone features at the joints of every view.

        Returns:
            tuple: ``(V * B, K, C)`` joint features, ``(V * B, K)`` bool
            visibility, and ``V``.
        """
        num_views = len(inputs)
        images = self.stack_views(inputs)
        feats = self.backbone(images)[-1]
        kpts = self.stack_field(data_samples, 'gt_keypoints2d',
                                num_views).to(feats.dtype)  # (VB, K, 3)
        coords = image_to_feature_coords(kpts[..., :2], images.shape[-2:],
                                         feats.shape[-2:])
        visible = kpts[..., 2] > 0
        return sample_joint_features(feats, coords), visible, num_views

    def labels(self, num_samples: int, num_views: int, num_joints: int,
               device: torch.device) -> Tensor:
        """Labels ``(V * B, K, L)`` that define the positives."""
        image_ids = rank_unique_ids(num_samples, device)
        image_ids = image_ids.repeat(num_views)[:, None].expand(
            -1, num_joints)
        joint_ids = torch.arange(
            num_joints, device=device)[None].expand(num_views * num_samples,
                                                    -1)
        columns = dict(
            image=[image_ids],
            joint=[joint_ids],
            image_joint=[image_ids, joint_ids])[self.positive]
        return torch.stack(columns, dim=-1)

    def loss(self, inputs: List[Tensor], data_samples: List[BaseDataElement],
             **kwargs) -> Dict[str, Tensor]:
        """Supervised contrastive loss of the visible joint features.

        A batch without any visible joint gives a zero loss that is still
        connected to every parameter, so distributed graphs stay alike.
        """
        if isinstance(inputs, Tensor):
            inputs = [inputs]
        joint_feats, visible, num_views = self.joint_features(
            inputs, data_samples)
        num_joints = joint_feats.shape[1]
        labels = self.labels(
            len(data_samples), num_views, num_joints, joint_feats.device)
        embeddings = self.neck((joint_feats[visible], ))[0]
        loss = self.head.loss(embeddings, labels[visible])
        return dict(loss=loss)

    def embed(self, inputs: List[Tensor],
              data_samples: List[BaseDataElement]) -> Tensor:
        """``(B, K, D)`` normalised joint embeddings; zeros for joints that
        are not visible."""
        joint_feats, visible, _ = self.joint_features(inputs, data_samples)
        b, k, c = joint_feats.shape
        emb = F.normalize(self.neck((joint_feats.reshape(b * k, c), ))[0])
        return emb.reshape(b, k, -1) * visible[..., None]
