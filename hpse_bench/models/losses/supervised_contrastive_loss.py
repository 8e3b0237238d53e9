from typing import Optional

import torch
from torch import Tensor, nn

from hpse_bench.registry import MODELS


@MODELS.register_module()
class SupervisedContrastiveLoss(nn.Module):
    """Supervised contrastive loss over a label-defined positive mask.

    Khosla et al., "Supervised Contrastive Learning", NeurIPS 2020,
    Eq. 2 (:math:`\\mathcal{L}^{sup}_{out}`): for anchor :math:`i` with
    positives :math:`P(i)` and candidates :math:`A(i)` (everything but the
    anchor itself),

    .. math::
        \\ell_i = -\\frac{1}{|P(i)|} \\sum_{p \\in P(i)}
        \\log \\frac{\\exp(s_{ip})}{\\sum_{a \\in A(i)} \\exp(s_{ia})}

    with :math:`s` the temperature-scaled similarities. With exactly one
    positive per anchor this is SimCLR's NT-Xent (Chen et al., ICML 2020).
    Anchors without any positive are left out of the mean (their loss is
    undefined), so the loss is never NaN.

    Args:
        loss_weight: factor on the loss.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self,
                logits: Tensor,
                pos_mask: Tensor,
                candidate_mask: Tensor,
                reduction: str = 'mean',
                avg_factor: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            logits: ``(N, M)`` temperature-scaled similarities of ``N``
                anchors to ``M`` keys.
            pos_mask: ``(N, M)`` bool, True where the key is a positive.
            candidate_mask: ``(N, M)`` bool, the denominator's keys (all but
                the anchor itself); positives must be candidates.
            reduction: ``'none'`` (per-anchor losses, 0 for anchors without
                positives), ``'sum'`` or ``'mean'`` (over anchors with
                positives).
            avg_factor: divisor replacing the count of anchors with
                positives in ``'mean'`` (e.g. the count over all ranks).

        Returns:
            Tensor: ``(N,)`` for ``'none'``, else a scalar.
        """
        if logits.shape != pos_mask.shape or \
                logits.shape != candidate_mask.shape:
            raise ValueError('logits, pos_mask and candidate_mask must have '
                             f'one shape, got {tuple(logits.shape)}, '
                             f'{tuple(pos_mask.shape)}, '
                             f'{tuple(candidate_mask.shape)}')
        pos_mask = pos_mask & candidate_mask
        if logits.numel() == 0:
            # No anchor or no key: zero losses that stay in the graph.
            per_anchor = logits.sum(dim=1) * 0
        else:
            per_anchor = self._per_anchor(logits, pos_mask, candidate_mask)
        per_anchor = per_anchor * self.loss_weight
        if reduction == 'none':
            return per_anchor
        if reduction == 'sum':
            return per_anchor.sum()
        if reduction != 'mean':
            raise ValueError(f'unknown reduction "{reduction}"')
        if avg_factor is None:
            avg_factor = (pos_mask.sum(dim=1) > 0).sum().clamp(min=1)
        return per_anchor.sum() / avg_factor

    @staticmethod
    def _per_anchor(logits: Tensor, pos_mask: Tensor,
                    candidate_mask: Tensor) -> Tensor:
        """Per-anchor losses; 0 where an anchor has no positive."""
        # Shift by the largest candidate logit: exp() stays finite and the
        # shift cancels in the ratio. Non-candidates never enter exp(), so
        # neither their value nor their gradient can become inf or NaN.
        row_max = torch.where(candidate_mask, logits,
                              torch.full_like(logits, float('-inf')))
        row_max = row_max.amax(dim=1, keepdim=True).detach()
        row_max = torch.nan_to_num(row_max, neginf=0.0)
        shifted = torch.where(candidate_mask, logits - row_max,
                              torch.zeros_like(logits))
        exp = torch.where(candidate_mask, shifted.exp(),
                          torch.zeros_like(logits))
        # >= 1 whenever the anchor has a candidate (the maximum gives
        # exp(0)); the clamp only guards anchors with none.
        log_denom = exp.sum(dim=1, keepdim=True).clamp(min=1.0).log()
        log_prob = shifted - log_denom
        num_pos = pos_mask.sum(dim=1)
        pos_log_prob = torch.where(pos_mask, log_prob,
                                   torch.zeros_like(log_prob)).sum(dim=1)
        per_anchor = -pos_log_prob / num_pos.clamp(min=1)
        return torch.where(num_pos > 0, per_anchor,
                           torch.zeros_like(per_anchor))
