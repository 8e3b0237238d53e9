"""PyMAF: pyramidal mesh-alignment feedback."""
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

from hpse_bench.registry import MODELS
from hpse_bench.structures import HumanDataSample
from hpse_bench.structures.conventions import NUM_BETAS, NUM_SMPL_JOINTS
from hpse_bench.structures.densepose_target import (DensePoseTarget,
                                                    PackedDensePoseTargets)
from .base_mesh_regressor import BaseMeshRegressor
from ..utils import build_module
from .base_regressor import ConfigType


def farthest_point_indices(points: np.ndarray, num: int,
                           start: int = 0) -> np.ndarray:
    """Deterministic farthest-point sampling of ``num`` row indices.

    Starting from ``start``, repeatedly adds the point farthest from those
    already chosen, which spreads the subset evenly over the surface.

    Args:
        points: ``(N, 3)``.
        num: subset size (``<= N``).
        start: index of the first point.

    Returns:
        ``(num,)`` int64 indices.
    """
    n = points.shape[0]
    if not 0 < num <= n:
        raise ValueError(f'cannot choose {num} of {n} points')
    points = np.asarray(points, dtype=np.float64)
    chosen = np.empty(num, dtype=np.int64)
    chosen[0] = start
    dist = np.linalg.norm(points - points[start], axis=1)
    for i in range(1, num):
        chosen[i] = int(np.argmax(dist))
        dist = np.minimum(dist,
                          np.linalg.norm(points - points[chosen[i]], axis=1))
    return chosen


@MODELS.register_module()
class PyMAF(BaseMeshRegressor):
    """PyMAF (Zhang et al., ICCV 2021) with a ResNet backbone.

    ``PyMAFHead`` runs the feedback loop; mesh points are a fixed subset of
    the body model's vertices chosen by farthest-point sampling on the
    template mesh (PyMAF uses a 431-vertex mesh-downsampling of SMPL; any
    well-spread fixed subset plays the same role). Every iteration's
    prediction is supervised with SPIN's losses (PyMAF's deep supervision);
    losses of iteration ``t`` before the last are named ``it{t}_loss_*``.

    With the head's ``use_iuv`` the dense branch is supervised by
    ``DensePoseLoss`` (``loss_densepose``) from the optional sample field
    ``gt_densepose``, a ``DensePoseTarget`` in crop pixels as the DensePose
    pipeline packs it (``PackDensePoseInputs``); samples without it count
    as unannotated, and a batch without any annotation gives graph-connected
    zero losses.

    Args:
        backbone: backbone config.
        head: head config (``PyMAFHead``).
        loss_densepose: dense-correspondence loss config, used when the
            head has ``use_iuv``.
        **kwargs: ``BaseMeshRegressor`` arguments.
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType = dict(type='PyMAFHead', in_channels=2048),
                 loss_densepose: Optional[dict] = dict(type='DensePoseLoss'),
                 **kwargs):
        super().__init__(backbone=backbone, head=head, **kwargs)
        self.loss_densepose = (
            build_module(loss_densepose)
            if self.head.use_iuv and loss_densepose is not None else None)
        with torch.no_grad():
            template = self.body_model(
                betas=torch.zeros(1, NUM_BETAS),
                body_pose=torch.zeros(1, (NUM_SMPL_JOINTS - 1) * 3),
                global_orient=torch.zeros(1, 3))['vertices'][0]
        idx = farthest_point_indices(template.cpu().numpy(),
                                     self.head.num_points)
        self.register_buffer(
            'point_indices', torch.from_numpy(idx), persistent=False)

    def mesh_points(self, rotmat: torch.Tensor,
                    betas: torch.Tensor) -> torch.Tensor:
        """The ``N`` sampled vertices of the mesh with these parameters."""
        verts = self.run_body_model(rotmat=rotmat, betas=betas)['vertices']
        return verts[:, self.point_indices]

    def _forward(self, inputs: torch.Tensor,
                 data_samples: Optional[List[HumanDataSample]] = None
                 ) -> Dict:
        img_shape = self._input_shape(inputs)
        return self.head(
            self.extract_feat(inputs),
            mesh_points=self.mesh_points,
            project=lambda p, c: self.project_points(p, c, img_shape),
            img_shape=img_shape)

    def loss(self, inputs: torch.Tensor,
             data_samples: List[HumanDataSample]) -> Dict[str, torch.Tensor]:
        img_shape = self._input_shape(inputs)
        preds = self._forward(inputs, data_samples)
        targets = self.collect_targets(data_samples, inputs.device, img_shape)
        iterations = preds['iterations']
        losses = {}
        for t, it in enumerate(iterations):
            prefix = '' if t == len(iterations) - 1 else f'it{t}_'
            losses.update(
                self.mesh_losses(it, targets, img_shape, prefix=prefix))
        if self.loss_densepose is not None:
            targets = self.collect_densepose(data_samples, img_shape,
                                             inputs.device)
            losses.update(
                self.loss_densepose(preds['pred_densepose'], targets))
        return losses

    @staticmethod
    def collect_densepose(data_samples: List[HumanDataSample],
                          img_shape: Tuple[int, int],
                          device) -> PackedDensePoseTargets:
        """Pack ``gt_densepose``; samples without it are unannotated."""
        targets = []
        for s in data_samples:
            if 'gt_densepose' in s:
                targets.append(s.gt_densepose)
            else:
                targets.append(
                    DensePoseTarget(
                        points=torch.zeros(0, 2),
                        charts=torch.zeros(0, dtype=torch.long),
                        u=torch.zeros(0),
                        v=torch.zeros(0),
                        coarse_segm=torch.zeros(img_shape, dtype=torch.uint8),
                        has_densepose=torch.tensor(False)))
        return DensePoseTarget.pack(targets, device=device)
