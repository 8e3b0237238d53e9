"""PyMAF's pyramidal mesh-alignment feedback head."""
from typing import Callable, Dict, List, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from hpse_bench.registry import MODELS
from hpse_bench.structures.conventions import (NUM_DENSEPOSE_CHARTS,
                                               NUM_DENSEPOSE_COARSE)
from hpse_bench.structures.densepose_chart_prediction import \
    DensePoseChartPrediction
from hpse_bench.structures.rotation import rot6d_to_matrix
from ..utils.joint_sampling import (image_to_feature_coords,
                                    sample_joint_features)
from .hmr_head import IterativeSMPLRegressor, load_smpl_mean_params
from .pare_head import make_deconv_layers

# (rotmat (B, 24, 3, 3), betas (B, 10)) -> mesh points (B, N, 3)
MeshPointsFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
# (points (B, N, 3), cam (B, 3)) -> normalised crop coordinates (B, N, 2)
ProjectFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class MeshAlignedFeatureReducer(nn.Module):
    """PyMAF's per-point MLP reducing sampled features to a few channels
    (Zhang et al., ICCV 2021, Sec. 3.2: 256 -> 128 -> 64 -> 5), shared by
    all points of one feedback iteration."""

    def __init__(self, in_channels: int, channels: Sequence[int]):
        super().__init__()
        layers: List[nn.Module] = []
        for i, out in enumerate(channels):
            layers.append(nn.Conv1d(in_channels, out, kernel_size=1))
            if i < len(channels) - 1:
                layers.append(nn.LeakyReLU(inplace=True))
            in_channels = out
        self.mlp = nn.Sequential(*layers)

    def forward(self, point_feats: torch.Tensor) -> torch.Tensor:
        """``(B, N, C)`` -> flattened ``(B, N * channels[-1])``."""
        return self.mlp(point_feats.transpose(1, 2)).flatten(1)


@MODELS.register_module()
class PyMAFHead(BaseModule):
    """Pyramidal Mesh Alignment Feedback (Zhang et al., "PyMAF: 3D Human
    Pose and Shape Regression with Pyramidal Mesh Alignment Feedback Loop",
    ICCV 2021).

    The last backbone map is upsampled by ``len(deconv_channels)``
    deconvolution layers into a feature pyramid. Feedback iteration ``t``
    reads level ``t``:

    - ``t = 0``: features sampled on a regular ``grid_size^2`` grid over the
      crop (no mesh yet), regressing from the mean parameters;
    - ``t > 0``: the current mesh's ``N`` points (a fixed vertex subset,
      given by the caller's ``mesh_points``) are projected with the current
      camera and features are sampled there (mesh-aligned evidence);
      sampling positions are detached, as in PyMAF.

    The sampled features are reduced per point by an MLP and the
    concatenation, with the current parameters, regresses residual SMPL and
    camera parameters (one ``IterativeSMPLRegressor`` step per iteration).
    Sampling uses ``hpse_bench.models.utils.joint_sampling``.

    With ``use_iuv=True`` an auxiliary branch on the finest level predicts
    dense correspondences (PyMAF Sec. 3.3, "auxiliary pixel-wise
    supervision"): coarse parts (15), chart index (25) and U, V per chart,
    as a ``DensePoseChartPrediction`` so that ``DensePoseLoss`` supervises
    it.

    Args:
        in_channels: channels of the last backbone feature map.
        mean_params: path of ``smpl_mean_params.npz``.
        num_points: mesh points sampled in iterations ``t > 0`` (431).
        deconv_channels: channels of each pyramid level (one per
            iteration).
        deconv_kernels: kernel of each deconvolution layer.
        mlp_channels: point-feature MLP widths (last = kept per point).
        grid_size: side of the sampling grid of the first iteration (21).
        hidden: hidden width of each regressor.
        dropout: dropout of each regressor.
        use_iuv: add the dense correspondence branch.
        init_cfg: MMEngine initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 mean_params: str,
                 num_points: int = 431,
                 deconv_channels: Sequence[int] = (256, 256, 256),
                 deconv_kernels: Sequence[int] = (4, 4, 4),
                 mlp_channels: Sequence[int] = (128, 64, 5),
                 grid_size: int = 21,
                 hidden: int = 1024,
                 dropout: float = 0.5,
                 use_iuv: bool = False,
                 init_cfg: Union[dict, Sequence[dict], None] = None):
        super().__init__(init_cfg=init_cfg)
        if len(deconv_channels) != len(deconv_kernels):
            raise ValueError('deconv_channels and deconv_kernels differ in '
                             'length')
        self.num_iters = len(deconv_channels)
        self.num_points = num_points
        self.grid_size = grid_size
        levels = []
        prev = in_channels
        for c, k in zip(deconv_channels, deconv_kernels):
            levels.append(make_deconv_layers(prev, [c], [k]))
            prev = c
        self.levels = nn.ModuleList(levels)
        self.reducers = nn.ModuleList(
            MeshAlignedFeatureReducer(c, mlp_channels)
            for c in deconv_channels)
        per_point = mlp_channels[-1]
        self.regressors = nn.ModuleList()
        for t in range(self.num_iters):
            n = grid_size**2 if t == 0 else num_points
            self.regressors.append(
                IterativeSMPLRegressor(n * per_point, hidden, dropout))
        pose, betas, cam = load_smpl_mean_params(mean_params)
        self.register_buffer('init_pose', pose[None])
        self.register_buffer('init_betas', betas[None])
        self.register_buffer('init_cam', cam[None])
        # Grid of the first iteration, in normalised crop coordinates at
        # the centres of a grid_size x grid_size tiling of the crop.
        ticks = (torch.arange(grid_size, dtype=torch.float32) + 0.5
                 ) / grid_size * 2 - 1
        gy, gx = torch.meshgrid(ticks, ticks, indexing='ij')
        self.register_buffer(
            'grid_points',
            torch.stack([gx, gy], -1).reshape(1, -1, 2),
            persistent=False)
        self.use_iuv = use_iuv
        if use_iuv:
            c = deconv_channels[-1]
            self.iuv_coarse = nn.Conv2d(c, NUM_DENSEPOSE_COARSE + 1, 1)
            self.iuv_index = nn.Conv2d(c, NUM_DENSEPOSE_CHARTS + 1, 1)
            self.iuv_u = nn.Conv2d(c, NUM_DENSEPOSE_CHARTS + 1, 1)
            self.iuv_v = nn.Conv2d(c, NUM_DENSEPOSE_CHARTS + 1, 1)

    def _sample(self, level_feats: torch.Tensor, points: torch.Tensor,
                img_shape: Tuple[int, int]) -> torch.Tensor:
        """Features ``(B, N, C)`` of a level at normalised crop points."""
        h, w = img_shape
        crop = (points + 1.0) * points.new_tensor([w, h]) / 2.0
        fpix = image_to_feature_coords(crop, img_shape,
                                       level_feats.shape[-2:])
        return sample_joint_features(level_feats, fpix)

    def forward(self, feats: Union[torch.Tensor, Sequence[torch.Tensor]],
                mesh_points: MeshPointsFn, project: ProjectFn,
                img_shape: Tuple[int, int]) -> Dict:
        """Run the feedback loop.

        Args:
            feats: ``(B, C, H, W)`` or backbone stages (last used).
            mesh_points: returns the ``N`` mesh points of given parameters.
            project: projects points with a weak-perspective camera into
                normalised crop coordinates.
            img_shape: network input ``(H, W)``.

        Returns:
            dict with the final ``pred_rotmat``, ``pred_pose6d``,
            ``pred_betas``, ``pred_cam``; ``iterations``: a list with the
            same four entries for every iteration (the last is the final
            one); ``pred_densepose`` (``DensePoseChartPrediction``) when
            ``use_iuv``.
        """
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        batch = feats.shape[0]
        pose6d = self.init_pose.expand(batch, -1)
        betas = self.init_betas.expand(batch, -1)
        cam = self.init_cam.expand(batch, -1)
        x = feats
        iterations = []
        rotmat = None
        for t in range(self.num_iters):
            x = self.levels[t](x)
            if t == 0:
                points = self.grid_points.expand(batch, -1, -1)
            else:
                with torch.no_grad():
                    points = project(mesh_points(rotmat, betas),
                                     cam).detach()
            point_feats = self._sample(x, points, img_shape)
            reduced = self.reducers[t](point_feats)
            pose6d, betas, cam = self.regressors[t](reduced, pose6d, betas,
                                                    cam)
            rotmat = rot6d_to_matrix(pose6d.reshape(batch, -1, 6))
            iterations.append(
                dict(
                    pred_rotmat=rotmat,
                    pred_pose6d=pose6d,
                    pred_betas=betas,
                    pred_cam=cam))
        out = dict(iterations[-1])
        out['iterations'] = iterations
        if self.use_iuv:
            out['pred_densepose'] = DensePoseChartPrediction(
                coarse_segm=self.iuv_coarse(x),
                fine_segm=self.iuv_index(x),
                u=self.iuv_u(x),
                v=self.iuv_v(x))
        return out
