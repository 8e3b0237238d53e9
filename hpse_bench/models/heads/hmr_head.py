"""HMR's iterative error feedback regressor, with SPIN's 6D rotations."""
from typing import Dict, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.model import BaseModule

from hpse_bench.registry import MODELS
from hpse_bench.structures.conventions import NUM_BETAS, NUM_SMPL_JOINTS
from hpse_bench.structures.rotation import rot6d_to_matrix

NUM_POSE_6D = NUM_SMPL_JOINTS * 6
NUM_CAM = 3


def load_smpl_mean_params(path: str) -> Tuple[torch.Tensor, ...]:
    """Read ``smpl_mean_params.npz``: pose (144,) 6D, shape (10,), cam (3,).

    Raises:
        FileNotFoundError / KeyError / ValueError naming the file and the
        offending entry.
    """
    try:
        data = np.load(path)
    except FileNotFoundError as e:
        raise FileNotFoundError(
            f'SMPL mean parameters not found: {path}') from e
    expected = dict(pose=(NUM_POSE_6D, ), shape=(NUM_BETAS, ), cam=(NUM_CAM, ))
    out = []
    for key, shape in expected.items():
        if key not in data:
            raise KeyError(f'{path} has no "{key}" entry (has '
                           f'{sorted(data.files)})')
        value = np.asarray(data[key], dtype=np.float32).reshape(-1)
        if value.shape != shape:
            raise ValueError(f'{path}: "{key}" has shape {value.shape}, '
                             f'expected {shape}')
        out.append(torch.from_numpy(value.copy()))
    return tuple(out)


class IterativeSMPLRegressor(nn.Module):
    """HMR's regressor MLP: ``[x, theta_t] -> delta theta`` (Kanazawa et al.,
    CVPR 2018, Sec. 3.2), ``theta = (pose 6D, betas, cam)``.

    Two 1024-unit layers with dropout, then three linear decoders whose
    weights start near zero (Xavier, gain 0.01, as SPIN) so that the first
    prediction is the mean parameters.

    Args:
        in_features: size of the image feature ``x``.
        hidden: hidden width.
        dropout: dropout probability after each hidden layer.
    """

    def __init__(self,
                 in_features: int,
                 hidden: int = 1024,
                 dropout: float = 0.5):
        super().__init__()
        self.fc1 = nn.Linear(in_features + NUM_POSE_6D + NUM_BETAS + NUM_CAM,
                             hidden)
        self.drop1 = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, hidden)
        self.drop2 = nn.Dropout(dropout)
        self.dec_pose = nn.Linear(hidden, NUM_POSE_6D)
        self.dec_betas = nn.Linear(hidden, NUM_BETAS)
        self.dec_cam = nn.Linear(hidden, NUM_CAM)
        for layer in (self.dec_pose, self.dec_betas, self.dec_cam):
            nn.init.xavier_uniform_(layer.weight, gain=0.01)
            nn.init.zeros_(layer.bias)

    def forward(
        self, x: torch.Tensor, pose6d: torch.Tensor, betas: torch.Tensor,
        cam: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One feedback step: returns the updated ``(pose6d, betas, cam)``."""
        h = torch.cat([x, pose6d, betas, cam], dim=1)
        # SPIN/HMR use no non-linearity between the two hidden layers.
        h = self.drop1(self.fc1(h))
        h = self.drop2(self.fc2(h))
        return (pose6d + self.dec_pose(h), betas + self.dec_betas(h),
                cam + self.dec_cam(h))


@MODELS.register_module()
class HMRHead(BaseModule):
    """Global-pool + iterative error feedback SMPL regressor.

    HMR (Kanazawa et al., "End-to-end Recovery of Human Shape and Pose",
    CVPR 2018, Sec. 3.2) as trained by SPIN (Kolotouros et al., ICCV 2019):
    starting from the mean SMPL parameters, ``num_iters`` feedback steps add
    residuals predicted from ``[pooled feature, current estimate]``; joint
    rotations are in the continuous 6D representation.

    Args:
        in_channels: channels of the last backbone feature map.
        mean_params: path of ``smpl_mean_params.npz``.
        num_iters: feedback iterations (3 in HMR/SPIN).
        hidden: hidden width of the regressor MLP.
        dropout: dropout probability of the regressor MLP.
        init_cfg: MMEngine initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 mean_params: str,
                 num_iters: int = 3,
                 hidden: int = 1024,
                 dropout: float = 0.5,
                 init_cfg: Union[dict, Sequence[dict], None] = None):
        super().__init__(init_cfg=init_cfg)
        if num_iters < 1:
            raise ValueError(f'num_iters must be >= 1, got {num_iters}')
        self.num_iters = num_iters
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.regressor = IterativeSMPLRegressor(in_channels, hidden, dropout)
        pose, betas, cam = load_smpl_mean_params(mean_params)
        self.register_buffer('init_pose', pose[None])
        self.register_buffer('init_betas', betas[None])
        self.register_buffer('init_cam', cam[None])

    def forward(self, feats: Union[torch.Tensor, Sequence[torch.Tensor]]
                ) -> Dict[str, torch.Tensor]:
        """Regress SMPL and camera parameters.

        Args:
            feats: ``(B, C, H, W)`` or a tuple of backbone stages (the last
                is used).

        Returns:
            dict with ``pred_rotmat`` ``(B, 24, 3, 3)``, ``pred_pose6d``
            ``(B, 144)``, ``pred_betas`` ``(B, 10)``, ``pred_cam`` ``(B, 3)``
            (weak perspective ``(s, tx, ty)``).
        """
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        batch = feats.shape[0]
        x = self.pool(feats).flatten(1)
        pose6d = self.init_pose.expand(batch, -1)
        betas = self.init_betas.expand(batch, -1)
        cam = self.init_cam.expand(batch, -1)
        for _ in range(self.num_iters):
            pose6d, betas, cam = self.regressor(x, pose6d, betas, cam)
        return dict(
            pred_rotmat=rot6d_to_matrix(pose6d.reshape(batch, -1, 6)),
            pred_pose6d=pose6d,
            pred_betas=betas,
            pred_cam=cam)
