from typing import List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from hpse_bench.models.utils.scoped_build import build_module
from hpse_bench.registry import MODELS
from hpse_bench.utils.dist import (all_gather_cat, all_gather_sizes,
                                   all_gather_with_grad, get_dist_info,
                                   global_mean_loss)


@MODELS.register_module()
class SupConHead(BaseModule):
    """Contrastive head whose positives are given by labels.

    Every embedding of this rank is an anchor; the keys are the embeddings
    of all ranks (gathered with gradient). A key is a positive of an anchor
    when all their label columns agree and it is not the anchor itself; all
    other keys are negatives (Khosla et al., NeurIPS 2020, Eq. 2). This one
    head serves:

    * NT-Xent (SimCLR, PeCLR): label = image id, so the only positive is the
      other view of the same image;
    * JointCon (Choi et al., ICLR 2023): label = image id, joint class, or
      both (variants I, J, I+J);
    * DetCon (Henaff et al., ICCV 2021): label = (image id, mask id).

    The loss is the mean over all anchors of the global batch that have a
    positive, so training on ``R`` ranks with ``B`` samples each equals
    training on one rank with ``R * B`` (see
    :func:`hpse_bench.utils.dist.global_mean_loss`).

    Args:
        loss: config of the loss on the logits, e.g.
            ``dict(type='SupervisedContrastiveLoss')``.
        temperature: similarities are divided by it.
        normalize: L2-normalise embeddings before the dot product (cosine
            similarity).
        gather: use the keys of all ranks (negatives across devices).
        init_cfg: initialisation config.
    """

    def __init__(self,
                 loss: dict = dict(type='SupervisedContrastiveLoss'),
                 temperature: float = 0.1,
                 normalize: bool = True,
                 gather: bool = True,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.loss_module = build_module(loss)
        self.temperature = temperature
        self.normalize = normalize
        self.gather = gather

    def loss(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        """Contrastive loss of this rank's embeddings.

        Args:
            embeddings: ``(N, D)``; ``N`` may be 0 (then the loss is a zero
                connected to the graph, and the collectives still run so
                that all ranks stay in step).
            labels: ``(N,)`` or ``(N, L)`` integer labels; positives agree
                on every column. They must be unique across ranks where they
                identify samples (see
                :func:`hpse_bench.utils.dist.rank_unique_ids`).

        Returns:
            Tensor: scalar loss.
        """
        if embeddings.dim() != 2:
            raise ValueError('embeddings must be (N, D), got '
                             f'{tuple(embeddings.shape)}')
        if labels.dim() == 1:
            labels = labels[:, None]
        if labels.shape[0] != embeddings.shape[0]:
            raise ValueError(f'{labels.shape[0]} labels for '
                             f'{embeddings.shape[0]} embeddings')
        if self.normalize:
            embeddings = F.normalize(embeddings, dim=1)
        num_local = embeddings.shape[0]
        rank, world_size = get_dist_info()
        if self.gather and world_size > 1:
            sizes = all_gather_sizes(num_local, embeddings.device)
            keys = all_gather_with_grad(embeddings, sizes)
            key_labels = all_gather_cat(labels, sizes)
            start = sum(sizes[:rank])
        else:
            keys, key_labels, start = embeddings, labels, 0

        # float32 logits: under AMP, exp() and sums of half values lose
        # the precision the loss needs.
        logits = (embeddings @ keys.t()).float() / self.temperature
        self_idx = torch.arange(num_local, device=logits.device) + start
        candidate_mask = torch.ones_like(logits, dtype=torch.bool)
        candidate_mask[torch.arange(num_local), self_idx] = False
        pos_mask = (labels[:, None, :] == key_labels[None, :, :]).all(-1)
        pos_mask = pos_mask & candidate_mask

        local_sum = self.loss_module(
            logits, pos_mask, candidate_mask, reduction='sum')
        local_count = (pos_mask.sum(dim=1) > 0).sum()
        if self.gather:
            return global_mean_loss(local_sum, local_count)
        return local_sum / local_count.clamp(min=1)
