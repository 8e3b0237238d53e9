"""Losses on SMPL parameters, meshes and the weak-perspective camera.

As in SPIN (Kolotouros et al., ICCV 2019, Sec. 3: "we supervise ... with
the SMPL parameters when available") and PARE (Kocabas et al., ICCV 2021,
Sec. 3.3): MSE on the rotation matrices of the 24 joints and on the shape
coefficients, L1 on vertices, for the samples that have SMPL labels
(``has_smpl``), plus two regularisers on every sample: an L2 prior on the
shape coefficients and SPIN's ``exp(-10 s)^2`` term that keeps the
weak-perspective scale ``s`` positive.

Masked losses return a graph-connected zero when no sample is valid.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from hpse_bench.registry import MODELS
from hpse_bench.structures.rotation import axis_angle_to_matrix


def _masked_mean(err: torch.Tensor, pred: torch.Tensor,
                 valid: Optional[torch.Tensor]) -> torch.Tensor:
    """Mean of ``err`` over the samples with ``valid > 0``."""
    if valid is None:
        return err.mean()
    mask = valid.reshape(-1) > 0
    if not bool(mask.any()):
        return pred.sum() * 0.0
    return err[mask].mean()


@MODELS.register_module()
class SMPLPoseLoss(nn.Module):
    """MSE between predicted and target joint rotation matrices.

    Args:
        loss_weight: multiplier of the loss.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self,
                pred_rotmat: torch.Tensor,
                target_pose: torch.Tensor,
                valid: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred_rotmat: ``(B, 24, 3, 3)`` predicted rotation matrices.
            target_pose: ``(B, 72)`` axis-angle or ``(B, 24, 3, 3)``.
            valid: ``(B,)`` 0/1 ``has_smpl`` flags.
        """
        batch = pred_rotmat.shape[0]
        if target_pose.dim() == 2:
            target_rotmat = axis_angle_to_matrix(
                target_pose.reshape(batch, -1, 3))
        else:
            target_rotmat = target_pose
        if target_rotmat.shape != pred_rotmat.shape:
            raise ValueError(
                'SMPLPoseLoss: prediction has shape '
                f'{tuple(pred_rotmat.shape)}, target rotations '
                f'{tuple(target_rotmat.shape)}')
        err = F.mse_loss(pred_rotmat, target_rotmat, reduction='none')
        return self.loss_weight * _masked_mean(err, pred_rotmat, valid)


@MODELS.register_module()
class SMPLBetasLoss(nn.Module):
    """MSE between predicted and target shape coefficients.

    Args:
        loss_weight: multiplier of the loss.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self,
                pred_betas: torch.Tensor,
                target_betas: torch.Tensor,
                valid: Optional[torch.Tensor] = None) -> torch.Tensor:
        err = F.mse_loss(pred_betas, target_betas, reduction='none')
        return self.loss_weight * _masked_mean(err, pred_betas, valid)


@MODELS.register_module()
class VertexLoss(nn.Module):
    """L1 distance between predicted and target mesh vertices (SPIN's
    ``shape_loss``).

    Args:
        loss_weight: multiplier of the loss.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self,
                pred_vertices: torch.Tensor,
                target_vertices: torch.Tensor,
                valid: Optional[torch.Tensor] = None) -> torch.Tensor:
        err = F.l1_loss(pred_vertices, target_vertices, reduction='none')
        return self.loss_weight * _masked_mean(err, pred_vertices, valid)


@MODELS.register_module()
class BetasPriorLoss(nn.Module):
    """L2 prior pulling predicted shape coefficients to the mean shape.

    SMPL's shape space is a PCA whose coefficients are zero-mean with unit
    variance, so ``mean(betas^2)`` is the (scaled) negative log-likelihood of
    the shape under that Gaussian; it keeps the shape plausible on samples
    that have only 2D labels.

    Args:
        loss_weight: multiplier of the loss.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, pred_betas: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * pred_betas.square().mean()


@MODELS.register_module()
class CameraScaleLoss(nn.Module):
    """SPIN's camera regulariser ``mean(exp(-10 s)^2)``.

    A negative weak-perspective scale mirrors the body behind the camera and
    still fits the 2D keypoints; this term pushes ``s`` positive early in
    training and vanishes once it is.

    Args:
        loss_weight: multiplier of the loss.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, pred_cam: torch.Tensor) -> torch.Tensor:
        """Args: pred_cam: ``(B, 3)`` weak-perspective ``(s, tx, ty)``."""
        return self.loss_weight * torch.exp(-10.0 * pred_cam[:, 0]).square(
        ).mean()
