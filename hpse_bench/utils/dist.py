"""Cross-rank gathering for contrastive losses.

Contrastive methods (SimCLR-style NT-Xent, supervised contrastive losses,
DetCon) draw their negatives from the whole global batch, so the features of
every rank are gathered *with gradient*. These helpers are the one
implementation of that in hpse_bench; every function works unchanged when no
process group exists (world size 1).

Gradient convention: :func:`all_gather_with_grad` sums, in backward, the
gradients that every rank's loss sends to a feature and returns this rank's
slice. With a loss that is ``world_size`` times the local share of a global
mean (see :func:`global_mean_loss`), DDP's gradient averaging then yields
exactly the gradient of the global mean over the combined batch.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.distributed as dist
from torch import Tensor


def get_dist_info() -> Tuple[int, int]:
    """Return ``(rank, world_size)``; ``(0, 1)`` without a process group."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def all_gather_sizes(size: int, device: torch.device) -> List[int]:
    """Gather one integer (e.g. a local row count) from every rank."""
    rank, world_size = get_dist_info()
    if world_size == 1:
        return [int(size)]
    local = torch.tensor([size], dtype=torch.long, device=device)
    sizes = [torch.zeros_like(local) for _ in range(world_size)]
    dist.all_gather(sizes, local)
    return [int(s.item()) for s in sizes]


def _gather_padded(tensor: Tensor, sizes: Sequence[int]) -> Tensor:
    """All-gather ``tensor`` (rows may differ per rank) and concatenate."""
    max_size = max(sizes)
    padded = tensor.new_zeros((max_size, ) + tuple(tensor.shape[1:]))
    padded[:tensor.shape[0]] = tensor
    chunks = [torch.empty_like(padded) for _ in sizes]
    dist.all_gather(chunks, padded.contiguous())
    return torch.cat([c[:n] for c, n in zip(chunks, sizes)], dim=0)


class _AllGatherWithGrad(torch.autograd.Function):
    """All-gather along dim 0 whose backward sums gradients over ranks."""

    @staticmethod
    def forward(ctx, tensor: Tensor, sizes: Tuple[int, ...]) -> Tensor:
        rank, _ = get_dist_info()
        ctx.start = sum(sizes[:rank])
        ctx.length = sizes[rank]
        return _gather_padded(tensor, sizes)

    @staticmethod
    def backward(ctx, grad_output: Tensor):
        grad = grad_output.contiguous()
        # Every rank's loss may depend on this rank's rows (they are its
        # negatives), so the rows' gradient is the sum over ranks.
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        return grad[ctx.start:ctx.start + ctx.length], None


def all_gather_with_grad(tensor: Tensor,
                         sizes: Optional[Sequence[int]] = None) -> Tensor:
    """Concatenate ``tensor`` from all ranks along dim 0, keeping gradient.

    Ranks may hold different numbers of rows (also zero). The result holds
    rank 0's rows first, then rank 1's, and so on. Backward sums the incoming
    gradients over ranks (an all-reduce) and keeps this rank's rows, so every
    rank must run backward through this call.

    Args:
        tensor: ``(N_r, ...)`` rows of this rank.
        sizes: row counts of all ranks, from :func:`all_gather_sizes`; they
            are gathered here when not given.

    Returns:
        Tensor: ``(sum_r N_r, ...)``; ``tensor`` itself with world size 1.
    """
    _, world_size = get_dist_info()
    if world_size == 1:
        return tensor
    if sizes is None:
        sizes = all_gather_sizes(tensor.shape[0], tensor.device)
    return _AllGatherWithGrad.apply(tensor, tuple(int(s) for s in sizes))


@torch.no_grad()
def all_gather_cat(tensor: Tensor,
                   sizes: Optional[Sequence[int]] = None) -> Tensor:
    """Like :func:`all_gather_with_grad` without gradient (labels, ids)."""
    _, world_size = get_dist_info()
    if world_size == 1:
        return tensor
    if sizes is None:
        sizes = all_gather_sizes(tensor.shape[0], tensor.device)
    return _gather_padded(tensor, sizes)


@torch.no_grad()
def all_reduce_sum(tensor: Tensor) -> Tensor:
    """Sum of ``tensor`` over ranks (a new tensor; the input is unchanged)."""
    out = tensor.detach().clone()
    if get_dist_info()[1] > 1:
        dist.all_reduce(out, op=dist.ReduceOp.SUM)
    return out


def rank_unique_ids(num: int, device: torch.device) -> Tensor:
    """Ids ``0..num-1`` of this rank's samples, made unique across ranks.

    Sample ``i`` of rank ``r`` gets ``i * world_size + r``: ranks are distinct
    residues modulo the world size, so no two samples of the global batch
    share an id whatever the per-rank batch sizes.
    """
    rank, world_size = get_dist_info()
    return torch.arange(num, device=device) * world_size + rank


def global_mean_loss(local_sum: Tensor, local_count: Tensor) -> Tensor:
    """Turn this rank's share of a global mean into a DDP-ready loss.

    For per-item losses spread over ranks, the objective is
    ``sum_r local_sum_r / sum_r local_count_r``. Returned:

    * gradient: that of ``world_size * local_sum / global_count``, so that
      DDP's averaging over ranks gives the gradient of the global mean;
    * value: the global mean itself, identical on every rank (what the
      single-process run with the combined batch would log).

    ``global_count == 0`` (no item anywhere) gives a zero loss that is still
    connected to the graph.

    Args:
        local_sum: scalar sum of this rank's per-item losses (with graph).
        local_count: number of this rank's items (any numeric tensor).
    """
    _, world_size = get_dist_info()
    global_count = all_reduce_sum(
        local_count.to(local_sum.dtype).reshape(1)).clamp(min=1)[0]
    scaled = local_sum * world_size / global_count
    if world_size == 1:
        return scaled
    global_value = all_reduce_sum(scaled.detach().reshape(1))[0] / world_size
    return scaled + (global_value - scaled.detach())
