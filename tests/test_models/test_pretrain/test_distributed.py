"""Two gloo processes on CPU against one process with the combined batch.

Every contrastive loss of hpse_bench gathers its keys across ranks; the loss
on 2 ranks x B must equal the loss on 1 rank x 2B, and so must the gradients
after DDP's averaging. The models run in eval mode so that BatchNorm uses
its running statistics and every sample's features are independent of how
the batch is split (on GPUs SyncBN plays that part during training).
"""
import os
import os.path as osp
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.registry import DefaultScope

from hpse_bench.registry import MODELS
from hpse_bench.utils.dist import (all_gather_with_grad, get_dist_info,
                                   global_mean_loss, rank_unique_ids)
from pretrain_samples import BACKBONE, random_inputs, random_samples

BATCH = 4  # combined batch; each of 2 ranks holds 2 samples

PROJECTION = dict(
    type='ProjectionMLP', in_channels=512, hid_channels=32, out_channels=16)


def jointcon_cfg(positive):
    return dict(
        type='JointCon',
        positive=positive,
        backbone=BACKBONE,
        neck=PROJECTION,
        head=dict(type='SupConHead', temperature=0.1))


CASES = {
    'jointcon_j': (jointcon_cfg('joint'), dict()),
    'jointcon_i': (jointcon_cfg('image'), dict()),
    # Samples 2 and 3 (rank 1's share) have no visible joint: rank 1 sends
    # zero rows, yet the loss and gradients must still agree.
    'jointcon_j_empty_rank': (jointcon_cfg('joint'), dict(empty=(2, 3))),
    'peclr': (dict(
        type='PeCLR',
        backbone=BACKBONE,
        neck=dict(
            type='mmpretrain.NonLinearNeck',
            in_channels=512,
            hid_channels=32,
            out_channels=16,
            with_bias=True,
            with_last_bn=False,
            norm_cfg=dict(type='BN1d')),
        head=dict(type='SupConHead', temperature=0.5)), dict()),
    'detcon': (dict(
        type='DetCon',
        backbone=BACKBONE,
        neck=PROJECTION,
        head=dict(type='SupConHead', temperature=0.1)),
               dict(num_segments=3)),
}


def run_cases():
    """Loss and DDP-averaged gradients of every case on this rank's share."""
    with DefaultScope.overwrite_default_scope('hpse_bench'):
        return _run_cases()


def _run_cases():
    rank, world_size = get_dist_info()
    share = BATCH // world_size
    local = slice(rank * share, (rank + 1) * share)
    results = {}
    for name, (cfg, opts) in CASES.items():
        torch.manual_seed(0)
        model = MODELS.build(cfg)
        model.eval()
        samples = random_samples(
            BATCH, num_segments=opts.get('num_segments', 0), seed=5)
        for i in opts.get('empty', ()):
            samples[i].gt_keypoints2d[..., 2] = 0
        inputs = random_inputs(BATCH, seed=6)
        data = model.data_preprocessor(
            dict(
                inputs=[x[local] for x in inputs],
                data_samples=samples[local]), False)
        loss = model(**data, mode='loss')['loss']
        loss.backward()
        grads = {}
        for pname, p in model.named_parameters():
            g = p.grad.clone()
            if world_size > 1:  # what DDP does
                dist.all_reduce(g)
                g /= world_size
            grads[pname] = g
        results[name] = dict(loss=loss.item(), grads=grads)

    # The gather itself, with unequal (and zero) row counts per rank.
    rows = [3, 0][rank] if world_size > 1 else 3
    x = torch.arange(rows * 2, dtype=torch.float32).reshape(rows, 2) + 1
    x.requires_grad_()
    gathered = all_gather_with_grad(x)
    weights = torch.arange(gathered.numel(), dtype=torch.float32)
    (gathered.flatten() * weights).sum().backward()
    results['gather'] = dict(
        shape=tuple(gathered.shape),
        grad=x.grad.clone(),
        ids=rank_unique_ids(2, torch.device('cpu')).tolist(),
        mean=global_mean_loss(
            torch.tensor(float(rank + 1)), torch.tensor(rank + 1)).item())
    return results


def _worker(rank, world_size, port, out_dir):
    os.environ['MASTER_ADDR'] = '127.0.0.1'
    os.environ['MASTER_PORT'] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group('gloo', rank=rank, world_size=world_size)
    try:
        torch.save(run_cases(), osp.join(out_dir, f'rank{rank}.pt'))
    finally:
        dist.destroy_process_group()


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.dist
def test_two_ranks_equal_one_rank_with_combined_batch(tmp_path):
    # fork: the workers inherit the imported packages (seconds saved).
    mp.start_processes(
        _worker,
        args=(2, _free_port(), str(tmp_path)),
        nprocs=2,
        join=True,
        start_method='fork')
    ranks = [torch.load(tmp_path / f'rank{r}.pt') for r in range(2)]
    single = run_cases()

    for name in CASES:
        ref = single[name]
        assert ref['loss'] > 0, name
        for r in range(2):
            got = ranks[r][name]
            assert abs(got['loss'] - ref['loss']) < 1e-5 * max(
                1.0, ref['loss']), (name, r, got['loss'], ref['loss'])
            for pname, g in ref['grads'].items():
                assert torch.allclose(
                    got['grads'][pname], g, rtol=1e-4,
                    atol=1e-6), (name, r, pname)
        assert any(g.abs().sum() > 0
                   for g in ref['grads'].values()), name

    # Gather: rank 0 holds 3 rows, rank 1 none; every rank sees all 3, and
    # rank 0's rows get the gradient summed over both ranks' losses.
    for r in range(2):
        assert ranks[r]['gather']['shape'] == (3, 2)
    expected = 2 * torch.arange(6, dtype=torch.float32).reshape(3, 2)
    assert torch.equal(ranks[0]['gather']['grad'], expected)
    assert ranks[1]['gather']['grad'].shape == (0, 2)
    assert ranks[0]['gather']['ids'] == [0, 2]
    assert ranks[1]['gather']['ids'] == [1, 3]
    # global_mean_loss: sums 1 and 2 over counts 1 and 2 -> 3 / 3.
    for r in range(2):
        assert abs(ranks[r]['gather']['mean'] - 1.0) < 1e-6
