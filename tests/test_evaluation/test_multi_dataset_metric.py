"""MultiDatasetMetric equals each metric run alone on its own dataset."""
import random

import pytest
import torch.multiprocessing as mp
from evaluation_samples import logged, make_mesh_samples, make_mupots_samples
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
    DefaultScope.get_instance(
        'test_multi_dataset_metric', scope_name='hpse_bench')


def test_router_matches_separate_metrics_with_shuffle_and_padding():
    mesh = _tag(make_mesh_samples(num=7), 'pw3d')
    mupots = _tag(make_mupots_samples(), 'mupots')
    expected = _alone(mesh, HumanMeshMetric(prefix='pw3d'))
    expected.update(_alone(mupots, MuPoTSMetric(prefix='mupots')))

    mixed = [s.to_dict() for s in mesh + mupots]
    size = len(mixed)
    random.Random(0).shuffle(mixed)
    # A distributed sampler pads by repeating samples: the router must
    # count each sample once.
    mixed += mixed[:3]
    router = _router()
    for i in range(0, len(mixed), 4):
        router.process(None, mixed[i:i + 4])
    got = router.evaluate(size)
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-9), key


def test_unknown_dataset_name_is_named():
    sample = _tag(make_mesh_samples(num=1), 'agora')[0]
    with pytest.raises(KeyError, match='agora'):
        _router().process(None, [sample.to_dict()])


def test_sample_without_sample_idx_is_refused():
    # Keyed by a default index, 9 samples would collapse into one.
    samples = [s.to_dict() for s in _tag(make_mesh_samples(num=9), 'pw3d')]
    for s in samples:
        del s['sample_idx']
    with pytest.raises(KeyError, match='img_000.jpg.*sample_idx'):
        _router().process(None, samples)


def test_two_sub_datasets_with_one_name_are_refused():
    first = _tag(make_mesh_samples(num=4, seed=1), 'pw3d')
    second = _tag(make_mesh_samples(num=4, seed=2), 'pw3d')
    for s in second:  # another file: other images, indices from 0 again
        s.set_metainfo(dict(img_path='other/' + s.img_path))
    router = _router()
    router.process(None, [s.to_dict() for s in first + second])
    with pytest.raises(ValueError, match='share the dataset_name'):
        router.evaluate(8)
    # The same file twice under one name: only the count tells.
    router = _router()
    router.process(None, [s.to_dict() for s in first + first])
    with pytest.raises(ValueError, match='4 distinct samples.*of 8'):
        router.evaluate(8)


def test_empty_evaluation_raises_and_an_empty_route_is_logged():
    with pytest.raises(ValueError, match='no data sample'):
        _router().evaluate(0)
    router = _router()
    mesh = _tag(make_mesh_samples(num=3), 'pw3d')
    router.process(None, [s.to_dict() for s in mesh])
    got, log = logged(router.evaluate, 3)
    assert set(got) == {'pw3d/pa_mpjpe', 'pw3d/mpjpe', 'pw3d/pve'}
    assert "no sample of ['mupots']" in log


def _worker(rank, world, port, mixed, queue):
    import torch.distributed as dist
    dist.init_process_group(
        'gloo',
        init_method=f'tcp://127.0.0.1:{port}',
        rank=rank,
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
