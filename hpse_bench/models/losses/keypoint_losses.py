"""Confidence-weighted 2D and 3D keypoint losses of the mesh regressors.

Both follow SPIN (Kolotouros et al., ICCV 2019, Sec. 3 and its training
code) and PARE (Kocabas et al., ICCV 2021): an element-wise criterion
weighted by each joint's confidence, averaged over every element of the
batch (2D) or of the samples that have 3D labels (3D).

When no sample or joint is valid the losses return a zero that is still
connected to the prediction's graph, so that every rank of a distributed
run back-propagates through the same parameters.
"""
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from hpse_bench.registry import MODELS

_CRITERIA = ('mse', 'l1', 'smooth_l1')


def elementwise_criterion(pred: torch.Tensor, target: torch.Tensor,
                          criterion: str) -> torch.Tensor:
    """Element-wise ``'mse'``, ``'l1'`` or ``'smooth_l1'`` (beta 1)."""
    if criterion == 'mse':
        return F.mse_loss(pred, target, reduction='none')
    if criterion == 'l1':
        return F.l1_loss(pred, target, reduction='none')
    if criterion == 'smooth_l1':
        return F.smooth_l1_loss(pred, target, reduction='none')
    raise ValueError(f'unknown criterion "{criterion}"; use one of '
                     f'{_CRITERIA}')


def _check_criterion(criterion: str) -> str:
    if criterion not in _CRITERIA:
        raise ValueError(f'unknown criterion "{criterion}"; use one of '
                         f'{_CRITERIA}')
    return criterion


@MODELS.register_module()
class Keypoint2DLoss(nn.Module):
    """Confidence-weighted 2D keypoint (re-projection) loss.

    SPIN's ``keypoint_loss``: ``mean(conf * criterion(pred, target))`` over
    all ``B x K x 2`` elements; absent joints have confidence 0 and count in
    the mean as zeros, as in SPIN.

    Args:
        criterion: ``'mse'`` (SPIN/PARE), ``'l1'`` (integral regression) or
            ``'smooth_l1'``.
        loss_weight: multiplier of the loss.
    """

    def __init__(self, criterion: str = 'mse', loss_weight: float = 1.0):
        super().__init__()
        self.criterion = _check_criterion(criterion)
        self.loss_weight = loss_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                confidence: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred: ``(B, K, 2)`` predicted keypoints.
            target: ``(B, K, 2)`` target keypoints, same coordinates.
            confidence: ``(B, K)`` per-joint weights (0 = absent).

        Returns:
            Scalar loss.
        """
        if pred.shape != target.shape or confidence.shape != pred.shape[:2]:
            raise ValueError(
                'Keypoint2DLoss: shapes do not match: pred '
                f'{tuple(pred.shape)}, target {tuple(target.shape)}, '
                f'confidence {tuple(confidence.shape)}')
        err = elementwise_criterion(pred, target, self.criterion)
        return self.loss_weight * (confidence[..., None] * err).mean()


@MODELS.register_module()
class Keypoint3DLoss(nn.Module):
    """Root-aligned, confidence-weighted 3D keypoint loss.

    SPIN's ``keypoint_3d_loss``: both skeletons are translated so that their
    root (one joint, or the mean of several, e.g. the hips) is at the
    origin, then ``mean(conf * criterion(pred, target))`` over the samples
    that have 3D labels.

    Args:
        criterion: ``'mse'`` (SPIN/PARE), ``'l1'`` (integral regression) or
            ``'smooth_l1'``.
        root_indices: joint index or indices whose mean is the root; ``None``
            compares the joints as given (already root-relative).
        loss_weight: multiplier of the loss.
    """

    def __init__(self,
                 criterion: str = 'mse',
                 root_indices: Optional[Union[int, Sequence[int]]] = 0,
                 loss_weight: float = 1.0):
        super().__init__()
        self.criterion = _check_criterion(criterion)
        if isinstance(root_indices, int):
            root_indices = [root_indices]
        self.root_indices = (None if root_indices is None else
                             list(root_indices))
        self.loss_weight = loss_weight

    def _align(self, joints: torch.Tensor) -> torch.Tensor:
        if self.root_indices is None:
            return joints
        root = joints[:, self.root_indices].mean(dim=1, keepdim=True)
        return joints - root

    def forward(self,
                pred: torch.Tensor,
                target: torch.Tensor,
                confidence: torch.Tensor,
                valid: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred: ``(B, K, 3)`` predicted joints.
            target: ``(B, K, 3)`` target joints.
            confidence: ``(B, K)`` per-joint weights.
            valid: ``(B,)`` 0/1 flags of the samples with 3D labels
                (``has_keypoints3d``); all valid when ``None``.

        Returns:
            Scalar loss; a graph-connected zero when no sample is valid.
        """
        if pred.shape != target.shape or confidence.shape != pred.shape[:2]:
            raise ValueError(
                'Keypoint3DLoss: shapes do not match: pred '
                f'{tuple(pred.shape)}, target {tuple(target.shape)}, '
                f'confidence {tuple(confidence.shape)}')
        if valid is None:
            valid = torch.ones(pred.shape[0], device=pred.device)
        mask = valid.reshape(-1) > 0
        if not bool(mask.any()):
            return pred.sum() * 0.0
        err = elementwise_criterion(
            self._align(pred[mask]), self._align(target[mask]),
            self.criterion)
        return self.loss_weight * (confidence[mask][..., None] * err).mean()
