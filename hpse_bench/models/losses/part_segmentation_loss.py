"""Per-pixel cross-entropy of coarse body-part labels."""
import torch.nn.functional as F
from torch import Tensor, nn

from hpse_bench.registry import MODELS


@MODELS.register_module()
class PartSegmentationLoss(nn.Module):
    """Cross-entropy of body-part labels, averaged over annotated pixels.

    The part-segmentation pre-training loss (Choi et al., ICLR 2023, Sec. 5:
    14 coarse DensePose parts + background) and the coarse-segmentation
    term ``S`` of the DensePose loss (Gueler et al., CVPR 2018; detectron2's
    ``SegmentationLoss``). Label maps at network-input resolution are
    resampled to the logits' resolution by taking the label at the centre of
    each output cell (``nearest-exact``), the cell-centre convention of
    :func:`~hpse_bench.models.utils.joint_sampling.image_to_feature_coords`.

    Crops without annotation (``valid`` False) are left out; a batch without
    any gives a zero loss that is still connected to the logits, so every
    rank of a distributed run back-propagates through the same graph.

    Args:
        loss_weight: weight of the loss.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, logits: Tensor, labels: Tensor,
                valid: Tensor) -> Tensor:
        """
        Args:
            logits: ``(B, C, h, w)`` raw scores.
            labels: ``(B, H, W)`` integer labels in ``[0, C)``.
            valid: ``(B,)`` bool, crops whose labels count.

        Returns:
            Tensor: scalar loss.
        """
        if labels.shape[-2:] != logits.shape[-2:]:
            labels = F.interpolate(
                labels[:, None].float(),
                size=logits.shape[-2:],
                mode='nearest-exact')[:, 0]
        labels = labels.long()
        ce = F.cross_entropy(logits, labels, reduction='none')  # (B, h, w)
        weight = valid.to(ce.dtype)[:, None, None]
        count = weight.sum() * ce.shape[-1] * ce.shape[-2]
        return (ce * weight).sum() / count.clamp(min=1) * self.loss_weight
