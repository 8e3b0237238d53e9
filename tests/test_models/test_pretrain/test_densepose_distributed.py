"""DensePose and part-segmentation training on 2 gloo ranks when one rank's
batch has no annotation: the zero-valued losses keep the rank in DDP's
gradient all-reduce, so both ranks step together and stay identical."""
import os.path as osp

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from dense_pretrain_samples import (DATA_PREPROCESSOR, TINY_BACKBONES,
                                    densepose_samples)
from torch.nn.parallel import DistributedDataParallel

from hpse_bench.registry import MODELS

SIZE = (64, 48)
HEADS = {
    'densepose': dict(type='DensePoseHead', in_channels=512,
                      deconv_out_channels=(32, 32, 32)),
    'partseg': dict(type='PartSegmentationHead', in_channels=512,
                    deconv_out_channels=(32, 32, 32)),
}


def _worker(rank, world_size, init_file, out_dir):
    torch.set_num_threads(1)
    dist.init_process_group(
        'gloo',
        init_method=f'file://{init_file}',
        rank=rank,
        world_size=world_size)
    try:
        results = {}
        for name, head in HEADS.items():
            torch.manual_seed(rank)  # DDP broadcasts rank 0's weights
            model = MODELS.build(
                dict(
                    type='TopdownDenseEstimator',
                    data_preprocessor=DATA_PREPROCESSOR,
                    backbone=TINY_BACKBONES[0],
                    head=head))
            model.init_weights()
            # No unused parameters allowed: every rank must produce a
            # gradient for every parameter in every iteration.
            ddp = DistributedDataParallel(model, find_unused_parameters=False)
            init = model.head.coarse_segm_layer.weight.detach().clone()
            optim = torch.optim.SGD(ddp.parameters(), lr=0.1)
            losses = []
            for it in range(2):
                gen = torch.Generator().manual_seed(10 * rank + it)
                inputs = torch.rand(2, 3, *SIZE, generator=gen) * 255
                # Rank 1 never has an annotated crop.
                samples = densepose_samples(
                    2, SIZE, annotated=[rank == 0] * 2, seed=10 * rank + it)
                loss_dict = ddp(inputs, samples, mode='loss')
                loss = sum(loss_dict.values())
                optim.zero_grad()
                loss.backward()
                optim.step()
                losses.append(loss.item())
            results[name] = dict(
                losses=losses,
                init=init,
                state={k: v.detach().clone()
                       for k, v in model.state_dict().items()})
        torch.save(results, osp.join(out_dir, f'rank{rank}.pt'))
    finally:
        dist.destroy_process_group()


# Each spawned rank imports the package afresh (~10-20 s on 2 busy cores).
@pytest.mark.slow
@pytest.mark.dist
def test_rank_without_annotation_keeps_ddp_in_step(tmp_path):
    mp.spawn(
        _worker,
        args=(2, str(tmp_path / 'init'), str(tmp_path)),
        nprocs=2,
        join=True)
    ranks = [torch.load(tmp_path / f'rank{r}.pt') for r in range(2)]
    for name in HEADS:
        assert all(v > 0 for v in ranks[0][name]['losses']), name
        assert ranks[1][name]['losses'] == [0.0, 0.0], name
        state0, state1 = ranks[0][name]['state'], ranks[1][name]['state']
        # Rank 1's weights moved, by rank 0's gradients only ...
        assert not torch.equal(ranks[1][name]['init'],
                               state1['head.coarse_segm_layer.weight'])
        # ... and are the same on both ranks.
        for key in state0:
            if key.endswith('num_batches_tracked') or 'running_' in key:
                continue  # BN statistics are per rank
            torch.testing.assert_close(state0[key], state1[key], msg=key)
