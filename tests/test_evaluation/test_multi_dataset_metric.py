"""MultiDatasetMetric equals each metric run alone on its own dataset."""
import random

import pytest
import torch.multiprocessing as mp
from evaluation_samples import make_mesh_samples, make_mupots_samples
from mmengine.registry import DefaultScope

from hpse_bench.evaluation import (HumanMeshMetric, MultiDatasetMetric,
                                   MuPoTSMetric)


def _tag(samples, name):
    for s in samples:
        s.set_metainfo(dict(dataset_name=name))
    return samples


def _alone(samples, metric):
    metric.process(None, [s.to_dict() for s in samples])
    return metric.evaluate(len(samples))


def _router():
    return MultiDatasetMetric(
        routes=dict(
            pw3d=dict(type='HumanMeshMetric', prefix='pw3d'),
            mupots=dict(type='MuPoTSMetric', prefix='mupots')))


@pytest.fixture(scope='module', autouse=True)
def _scope():
    DefaultScope.get_instance('test_multi_dataset_metric',
                              scope_name='hpse_bench')


def test_router_matches_separate_metrics_with_shuffle_and_padding():
    mesh = _tag(make_mesh_samples(num=7), 'pw3d')
    mupots = _tag(make_mupots_samples(), 'mupots')
    expected = _alone(mesh, HumanMeshMetric(prefix='pw3d'))
    expected.update(_alone(mupots, MuPoTSMetric(prefix='mupots')))

    mixed = [s.to_dict() for s in mesh + mupots]
    random.Random(0).shuffle(mixed)
    # A distributed sampler pads by repeating samples: the router must
    # count each sample once.
    mixed += mixed[:3]
    router = _router()
    for i in range(0, len(mixed), 4):
        router.process(None, mixed[i:i + 4])
    got = router.evaluate(len(mixed))
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-9), key


def test_unknown_dataset_name_is_named():
    sample = _tag(make_mesh_samples(num=1), 'agora')[0]
    with pytest.raises(KeyError, match='agora'):
        _router().process(None, [sample.to_dict()])


def _worker(rank, world, port, mixed, queue):
    import torch.distributed as dist
    dist.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank,
        world_size=world)
    DefaultScope.get_instance(f'mdm{rank}', scope_name='hpse_bench')
    # Interleaved shards, as DefaultSampler hands them out, padded to equal
    # length with the first samples.
    padded = mixed + mixed[:(-len(mixed)) % world]
    shard = padded[rank::world]
    router = _router()
    for i in range(0, len(shard), 3):
        router.process(None, shard[i:i + 3])
    queue.put((rank, router.evaluate(len(mixed))))
    dist.destroy_process_group()


@pytest.mark.dist
def test_router_two_ranks_equals_one_rank():
    mesh = _tag(make_mesh_samples(num=5), 'pw3d')
    mupots = _tag(make_mupots_samples(), 'mupots')
    mixed = [s.to_dict() for s in mesh + mupots]
    single = _router()
    single.process(None, mixed)
    expected = single.evaluate(len(mixed))

    ctx = mp.get_context('spawn')
    queue = ctx.Queue()
    port = random.randint(30000, 40000)
    procs = [
        ctx.Process(target=_worker, args=(r, 2, port, mixed, queue))
        for r in range(2)
    ]
    for p in procs:
        p.start()
    results = dict(queue.get(timeout=300) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    for rank in range(2):
        for key, value in expected.items():
            assert results[rank][key] == pytest.approx(value, abs=1e-9)
