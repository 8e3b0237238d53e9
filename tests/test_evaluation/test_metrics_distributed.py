"""The metrics on 2 gloo ranks equal the metrics on 1 process."""
import json
import os.path as osp

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from evaluation_samples import make_mesh_samples, make_mupots_samples
from mmengine.dataset import DefaultSampler
from mmengine.registry import DefaultScope

from hpse_bench.registry import METRICS

CASES = {
    'mesh':
    dict(
        type='HumanMeshMetric',
        metrics=['pa_mpjpe', 'mpjpe', 'pve'],
        prefix='3dpw'),
    'mupots':
    dict(type='MuPoTSMetric'),
}


def _samples(name):
    # Odd sizes, so that the sampler pads one rank with a repeated sample.
    if name == 'mesh':
        return make_mesh_samples(num=7, seed=3)
    return make_mupots_samples(seed=4)


def _evaluate_all(batch_size=2):
    """Each case as a ValLoop runs it: sampler slice, batches, evaluate."""
    out = {}
    for name, cfg in CASES.items():
        samples = _samples(name)
        indices = list(DefaultSampler(samples, shuffle=False))
        metric = METRICS.build(cfg)
        for start in range(0, len(indices), batch_size):
            batch = [samples[i] for i in indices[start:start + batch_size]]
            metric.process({}, [s.to_dict() for s in batch])
        out[name] = metric.evaluate(len(samples))
    return out


def _worker(rank, world_size, init_file, out_dir):
    torch.set_num_threads(1)
    dist.init_process_group(
        'gloo',
        init_method=f'file://{init_file}',
        rank=rank,
        world_size=world_size)
    try:
        DefaultScope.get_instance(f'dist_{rank}', scope_name='hpse_bench')
        results = _evaluate_all()
        with open(osp.join(out_dir, f'rank{rank}.json'), 'w') as f:
            json.dump(results, f)
    finally:
        dist.destroy_process_group()


# Each spawned rank imports the package afresh (~10-20 s on 2 busy cores).
@pytest.mark.slow
@pytest.mark.dist
def test_two_ranks_equal_one_process(tmp_path):
    DefaultScope.get_instance('dist_single', scope_name='hpse_bench')
    single = _evaluate_all()
    mp.spawn(
        _worker,
        args=(2, str(tmp_path / 'init'), str(tmp_path)),
        nprocs=2,
        join=True)
    for rank in range(2):
        with open(tmp_path / f'rank{rank}.json') as f:
            distributed = json.load(f)
        # Every rank receives the rank-0 result (broadcast by MMEngine).
        assert distributed.keys() == single.keys()
        for name in single:
            assert distributed[name].keys() == single[name].keys()
            for key, value in single[name].items():
                assert distributed[name][key] == pytest.approx(
                    value, abs=1e-9), (name, key)
