"""PARE's part-attention SMPL regressor head."""
from typing import Dict, List, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from hpse_bench.registry import MODELS
from hpse_bench.structures.conventions import NUM_BETAS, NUM_SMPL_JOINTS
from hpse_bench.structures.rotation import rot6d_to_matrix
from .hmr_head import NUM_CAM, load_smpl_mean_params


def make_deconv_layers(in_channels: int, channels: Sequence[int],
                       kernels: Sequence[int]) -> nn.Sequential:
    """Stride-2 transposed convolutions + BN + ReLU (Xiao et al., ECCV 2018),
    the upsampling of PARE's two branches and of PyMAF's pyramid."""
    if len(channels) != len(kernels):
        raise ValueError(f'{len(channels)} deconv channels but '
                         f'{len(kernels)} kernels')
    layers: List[nn.Module] = []
    for out, k in zip(channels, kernels):
        if k == 4:
            padding, output_padding = 1, 0
        elif k == 3:
            padding, output_padding = 1, 1
        elif k == 2:
            padding, output_padding = 0, 0
        else:
            raise ValueError(f'deconv kernel must be 2, 3 or 4, got {k}')
        layers += [
            nn.ConvTranspose2d(
                in_channels,
                out,
                kernel_size=k,
                stride=2,
                padding=padding,
                output_padding=output_padding,
                bias=False),
            nn.BatchNorm2d(out),
            nn.ReLU(inplace=True)
        ]
        in_channels = out
    return nn.Sequential(*layers)


def part_attention_pool(features: torch.Tensor,
                        attention_logits: torch.Tensor) -> torch.Tensor:
    """Attention-weighted pooling of ``features`` for every part.

    PARE Eq. 2: each part's attention map is a softmax over all pixels of its
    logits; the part feature is the attention-weighted sum of the pixel
    features.

    Args:
        features: ``(B, C, H, W)``.
        attention_logits: ``(B, P, H, W)``.

    Returns:
        ``(B, P, C)``.
    """
    b, p = attention_logits.shape[:2]
    att = F.softmax(attention_logits.reshape(b, p, -1), dim=-1)
    return torch.einsum('bpn,bcn->bpc', att, features.flatten(2))


@MODELS.register_module()
class PAREHead(BaseModule):
    """Part Attention REgressor head (Kocabas et al., ICCV 2021, Sec. 3).

    From the last backbone feature map, two branches of three deconvolution
    layers each:

    - the 2D part branch predicts ``num_parts + 1`` part-segmentation logits
      (24 SMPL parts + background); the softmax over pixels of each part
      channel (background excluded) is its attention map (PARE's
      ``part_segm`` attention);
    - the 3D branch's features are pooled per part with those maps. Each
      joint's rotation (6D) is regressed from its own part feature by an
      unshared linear layer (PARE's locally connected layer); shape and
      camera from the concatenated per-part features of a 1x1-reduced copy
      of the branch.

    The mean SMPL parameters are added to the outputs (PARE's
    ``use_mean_pose`` / ``use_mean_camshape``) with near-zero initial output
    layers, so training starts from the mean body.

    Args:
        in_channels: channels of the last backbone feature map.
        mean_params: path of ``smpl_mean_params.npz``.
        num_parts: SMPL parts / joints (24).
        deconv_channels: output channels of each deconvolution layer.
        deconv_kernels: kernel size of each deconvolution layer.
        shape_feat_channels: channels of the reduced features that feed the
            shape and camera regressors (64 in PARE).
        init_cfg: MMEngine initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 mean_params: str,
                 num_parts: int = NUM_SMPL_JOINTS,
                 deconv_channels: Sequence[int] = (256, 256, 256),
                 deconv_kernels: Sequence[int] = (4, 4, 4),
                 shape_feat_channels: int = 64,
                 init_cfg: Union[dict, Sequence[dict], None] = None):
        super().__init__(init_cfg=init_cfg)
        if num_parts != NUM_SMPL_JOINTS:
            raise ValueError('PAREHead regresses one rotation per SMPL joint: '
                             f'num_parts must be {NUM_SMPL_JOINTS}, got '
                             f'{num_parts}')
        self.num_parts = num_parts
        feat = deconv_channels[-1]
        self.part_branch = make_deconv_layers(in_channels, deconv_channels,
                                              deconv_kernels)
        self.smpl_branch = make_deconv_layers(in_channels, deconv_channels,
                                              deconv_kernels)
        self.part_logits = nn.Conv2d(feat, num_parts + 1, kernel_size=1)
        self.shape_reduce = nn.Conv2d(feat, shape_feat_channels, kernel_size=1)
        # One (feat -> 6) linear map per joint, weights not shared.
        self.pose_weight = nn.Parameter(torch.empty(num_parts, feat, 6))
        self.pose_bias = nn.Parameter(torch.zeros(num_parts, 6))
        self.shape_fc = nn.Linear(num_parts * shape_feat_channels, NUM_BETAS)
        self.cam_fc = nn.Linear(num_parts * shape_feat_channels, NUM_CAM)
        for j in range(num_parts):
            nn.init.xavier_uniform_(self.pose_weight.data[j], gain=0.01)
        for layer in (self.shape_fc, self.cam_fc):
            nn.init.xavier_uniform_(layer.weight, gain=0.01)
            nn.init.zeros_(layer.bias)
        pose, betas, cam = load_smpl_mean_params(mean_params)
        self.register_buffer('init_pose', pose.reshape(1, num_parts, 6))
        self.register_buffer('init_betas', betas[None])
        self.register_buffer('init_cam', cam[None])

    def forward(self, feats: Union[torch.Tensor, Sequence[torch.Tensor]]
                ) -> Dict[str, torch.Tensor]:
        """Regress SMPL and camera parameters.

        Args:
            feats: ``(B, C, H, W)`` or a tuple of backbone stages (last used).

        Returns:
            dict with ``pred_rotmat`` ``(B, 24, 3, 3)``, ``pred_pose6d``
            ``(B, 144)``, ``pred_betas``, ``pred_cam`` and
            ``pred_part_logits`` ``(B, 25, H', W')`` (channel 0 background).
        """
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        batch = feats.shape[0]
        part_feats = self.part_branch(feats)
        smpl_feats = self.smpl_branch(feats)
        part_logits = self.part_logits(part_feats)
        attention = part_logits[:, 1:]
        pose_feats = part_attention_pool(smpl_feats, attention)  # B, J, C
        shape_feats = part_attention_pool(
            self.shape_reduce(smpl_feats), attention).flatten(1)
        pose6d = torch.einsum('bjc,jco->bjo', pose_feats,
                              self.pose_weight) + self.pose_bias
        pose6d = pose6d + self.init_pose
        betas = self.shape_fc(shape_feats) + self.init_betas
        cam = self.cam_fc(shape_feats) + self.init_cam
        return dict(
            pred_rotmat=rot6d_to_matrix(pose6d),
            pred_pose6d=pose6d.reshape(batch, -1),
            pred_betas=betas,
            pred_cam=cam,
            pred_part_logits=part_logits)
