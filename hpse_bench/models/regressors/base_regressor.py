"""Base class of the fine-tuned regressors.

``BaseRegressor``: backbone + head behind MMEngine's ``BaseModel`` interface
(``forward(inputs, data_samples, mode)`` with ``'loss'``, ``'predict'`` and
``'tensor'``), ImageNet normalisation in the data preprocessor, and the
mapping of predicted crop coordinates back to original-image pixels.
The regressors of SMPL parameters derive from
:class:`~.base_mesh_regressor.BaseMeshRegressor`.

Coordinates (see :mod:`.crop_coordinates`): crop pixels, normalised crop
coordinates in ``[-1, 1]`` (SPIN's convention) and original-image pixels,
related to crop pixels by each sample's ``warp_mat``.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.model import BaseModel

from hpse_bench.structures import HumanDataSample
from ..utils import ScopedInitMixin, build_module
from .crop_coordinates import (crop_to_image, crop_to_normalized,
                               normalized_to_crop)
from .sample_fields import stack_field, stack_optional_labels

__all__ = [
    'BaseRegressor', 'ConfigType', 'IMAGENET_PREPROCESSOR', 'crop_to_image',
    'crop_to_normalized', 'normalized_to_crop', 'stack_field',
    'stack_optional_labels'
]

ConfigType = Union[dict, nn.Module]
IMAGENET_PREPROCESSOR = dict(
    type='ImgDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True)


class BaseRegressor(ScopedInitMixin, BaseModel):
    """Backbone + head with MMEngine's three forward modes.

    Subclasses implement :meth:`loss`, :meth:`predict` and, when the head's
    output is not what ``'tensor'`` mode should return, :meth:`_forward`.

    Args:
        backbone: backbone config, e.g. ``dict(type='mmpretrain.ResNet',
            depth=50, out_indices=(3, ))``; its ``init_cfg`` is where a
            pre-trained backbone is loaded from.
        head: head config.
        data_preprocessor: defaults to ImageNet mean/std with BGR -> RGB.
        init_cfg: MMEngine initialisation config of the whole model.
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType,
                 data_preprocessor: Optional[ConfigType] = None,
                 init_cfg: Union[dict, List[dict], None] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(IMAGENET_PREPROCESSOR)
        super().__init__(
            data_preprocessor=build_module(data_preprocessor),
            init_cfg=init_cfg)
        self.backbone = build_module(backbone)
        self.head = build_module(head)

    def extract_feat(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Backbone features: a tuple of stages (the heads use the last)."""
        feats = self.backbone(inputs)
        if isinstance(feats, torch.Tensor):
            feats = (feats, )
        return tuple(feats)

    def _forward(self, inputs: torch.Tensor,
                 data_samples: Optional[List[HumanDataSample]] = None
                 ) -> Dict[str, torch.Tensor]:
        return self.head(self.extract_feat(inputs))

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[HumanDataSample]] = None,
                mode: str = 'tensor'):
        """``'loss'`` -> dict of losses; ``'predict'`` -> data samples with
        ``pred_*`` fields; ``'tensor'`` -> the head's raw outputs."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise RuntimeError(f'invalid mode "{mode}"; use "loss", "predict" '
                           'or "tensor"')

    def loss(self, inputs: torch.Tensor,
             data_samples: List[HumanDataSample]) -> Dict[str, torch.Tensor]:
        raise NotImplementedError

    def predict(self, inputs: torch.Tensor,
                data_samples: List[HumanDataSample]
                ) -> List[HumanDataSample]:
        raise NotImplementedError

    @staticmethod
    def _input_shape(inputs: torch.Tensor) -> Tuple[int, int]:
        return int(inputs.shape[-2]), int(inputs.shape[-1])

    @staticmethod
    def _warp_mats(data_samples: Sequence[HumanDataSample],
                   device: Union[torch.device, str]) -> torch.Tensor:
        """``(B, 2, 3)`` original -> crop maps from the samples' metainfo."""
        mats = []
        for i, s in enumerate(data_samples):
            if 'warp_mat' not in s.metainfo:
                raise KeyError(
                    f'data sample {i} has no metainfo "warp_mat" (the '
                    'original -> crop affine map); it is needed to return '
                    'pred_keypoints2d_img in original-image pixels')
            mats.append(
                torch.as_tensor(
                    np.asarray(s.metainfo['warp_mat'], dtype=np.float64)))
        mats = torch.stack(mats)
        if mats.shape[1:] != (2, 3):
            raise ValueError('warp_mat must be (2, 3), got '
                             f'{tuple(mats.shape[1:])}')
        return mats.to(device)

    def keypoints_crop_to_image(self, normalized: torch.Tensor,
                                img_shape: Tuple[int, int],
                                data_samples: Sequence[HumanDataSample]
                                ) -> torch.Tensor:
        """Normalised crop coordinates ``(B, K, 2)`` -> original pixels."""
        crop = normalized_to_crop(normalized.double(), img_shape)
        warp = self._warp_mats(data_samples, normalized.device)
        return crop_to_image(crop, warp).to(normalized.dtype)
