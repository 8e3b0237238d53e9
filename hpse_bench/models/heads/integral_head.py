"""Volumetric heatmap head with integral (soft-argmax) 3D joint regression."""
from typing import Dict, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from hpse_bench.registry import MODELS
from .pare_head import make_deconv_layers


def soft_argmax_3d(heatmaps: torch.Tensor) -> Tuple[torch.Tensor,
                                                    torch.Tensor]:
    """Integral regression: expected voxel position under a softmax.

    Sun et al., "Integral Human Pose Regression", ECCV 2018, Eq. 3: the
    heatmap of each joint is normalised by a softmax over all ``D x H x W``
    voxels; the joint is the expectation of the voxel coordinates.

    Args:
        heatmaps: ``(B, J, D, H, W)`` unnormalised scores.

    Returns:
        ``(coords, probs)``: ``(B, J, 3)`` expected ``(x, y, z)`` in voxel
        index units (``x`` along W, ``y`` along H, ``z`` along D), and the
        normalised ``(B, J, D, H, W)`` distribution.
    """
    if heatmaps.dim() != 5:
        raise ValueError('soft_argmax_3d expects (B, J, D, H, W), got '
                         f'{tuple(heatmaps.shape)}')
    b, j, d, h, w = heatmaps.shape
    probs = F.softmax(heatmaps.reshape(b, j, -1), dim=-1).reshape(
        b, j, d, h, w)
    kw = dict(dtype=heatmaps.dtype, device=heatmaps.device)
    # Marginals, then expectations along each axis.
    x = (probs.sum(dim=(2, 3)) * torch.arange(w, **kw)).sum(-1)
    y = (probs.sum(dim=(2, 4)) * torch.arange(h, **kw)).sum(-1)
    z = (probs.sum(dim=(3, 4)) * torch.arange(d, **kw)).sum(-1)
    return torch.stack([x, y, z], dim=-1), probs


@MODELS.register_module()
class IntegralPoseHead(BaseModule):
    """Deconvolution head producing ``J x D`` heatmap channels.

    The simple-baselines upsampling (Xiao et al., ECCV 2018) followed by a
    1x1 convolution to ``num_joints * depth_bins`` channels, read as one
    ``D x H x W`` volume per joint (Sun et al., ECCV 2018, Sec. 3). The
    joints are returned in voxel units; ``IntegralPoseRegressor`` maps
    ``x, y`` to the crop and ``z`` to metres.

    A second, tiny branch regresses the metric size of one normalised crop
    unit at the person (metres), so that the image-plane offsets can be
    turned into metres (see ``IntegralPoseRegressor``).

    Args:
        in_channels: channels of the last backbone feature map.
        num_joints: joints per volume (17 for H36M-17).
        depth_bins: ``D``.
        deconv_channels: output channels of each deconvolution layer.
        deconv_kernels: kernel size of each deconvolution layer.
        init_cfg: MMEngine initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 num_joints: int = 17,
                 depth_bins: int = 64,
                 deconv_channels: Sequence[int] = (256, 256, 256),
                 deconv_kernels: Sequence[int] = (4, 4, 4),
                 init_cfg: Union[dict, Sequence[dict], None] = None):
        super().__init__(init_cfg=init_cfg)
        self.num_joints = num_joints
        self.depth_bins = depth_bins
        self.deconv = make_deconv_layers(in_channels, deconv_channels,
                                         deconv_kernels)
        self.final = nn.Conv2d(
            deconv_channels[-1], num_joints * depth_bins, kernel_size=1)
        nn.init.normal_(self.final.weight, std=0.001)
        nn.init.zeros_(self.final.bias)
        self.scale_fc = nn.Linear(in_channels, 1)
        nn.init.zeros_(self.scale_fc.weight)
        nn.init.zeros_(self.scale_fc.bias)

    def forward(self, feats: Union[torch.Tensor, Sequence[torch.Tensor]]
                ) -> Dict[str, torch.Tensor]:
        """Predict the joint volumes and their soft-argmax.

        Returns:
            dict with ``pred_voxels`` ``(B, J, 3)`` (soft-argmax ``x, y, z``
            in voxel units), ``heatmaps`` ``(B, J, D, H, W)`` (logits) and
            ``pred_unit_scale`` ``(B,)`` (metres per normalised crop unit,
            before the regressor's prior scale).
        """
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        b = feats.shape[0]
        hm = self.final(self.deconv(feats))
        h, w = hm.shape[-2:]
        hm = hm.reshape(b, self.num_joints, self.depth_bins, h, w)
        voxels, _ = soft_argmax_3d(hm)
        # exp keeps the scale positive; 1 at initialisation.
        unit_scale = torch.exp(
            self.scale_fc(feats.mean(dim=(2, 3))).squeeze(-1))
        return dict(
            pred_voxels=voxels, heatmaps=hm, pred_unit_scale=unit_scale)
