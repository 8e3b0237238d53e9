import json
import os
import os.path as osp
from collections import Counter

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from human_data_samples import make_human_data, save_human_data, write_images
from mmengine.dataset import DefaultSampler
from mmengine.registry import DefaultScope, init_default_scope
from mmengine.runner import Runner

from hpse_bench.datasets import (HumanImageDataset, MixedHumanDataset,
                                 MixedHumanSampler)

PIPELINE = [
    dict(type='LoadHumanImage'),
    dict(type='RandomHumanFlip', prob=0.5),
    dict(type='RandomHumanBBoxTransform'),
    dict(type='TopdownHumanAffine', input_size=(64, 64)),
    dict(type='RandomChannelNoise', noise_factor=0.4),
    dict(type='PackHumanInputs'),
]


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('hpse_bench')


def write_two_splits(root, n_h36m=30, n_coco=12):
    """A 3D split (h36m) and a compressed 2D-only split (coco)."""
    cfgs = []
    for name, n, kwargs in (('h36m', n_h36m, {}),
                            ('coco', n_coco,
                             dict(with_keypoints3d=False, with_smpl=False))):
        folder = osp.join(root, name)
        paths = write_images(folder, n, seed=len(name))
        data = make_human_data(n, seed=n, **kwargs)
        save_human_data(
            osp.join(folder, f'{name}_train.npz'),
            data,
            paths,
            compressed=(name == 'coco'))
        cfgs.append(
            dict(
                type='HumanImageDataset',
                dataset_name=name,
                data_root=root,
                ann_file=f'{name}/{name}_train.npz',
                data_prefix=dict(img=f'{name}/')))
    return cfgs


def test_epoch_shares_are_exact_and_samples_rotate(tmp_path):
    cfgs = write_two_splits(str(tmp_path), n_h36m=30, n_coco=12)
    mixed = MixedHumanDataset(cfgs, partition=[0.6, 0.4], num_samples=50)
    assert len(mixed) == 50
    assert mixed.counts.tolist() == [30, 20]
    per_sample = [Counter(), Counter()]
    for epoch in range(6):
        located = [mixed.locate(epoch * 50 + i) for i in range(50)]
        owners = Counter(k for k, _ in located)
        assert owners == {0: 30, 1: 20}
        for k, i in located:
            per_sample[k][i] += 1
        # Dataset 0 has 30 slots and 30 samples: each once per epoch.
        assert sorted(i for k, i in located if k == 0) == list(range(30))
    # Dataset 1: 20 draws per epoch from 12 samples, without replacement
    # within each pass: after 6 epochs (120 draws) each sample 10 times.
    assert set(per_sample[1].values()) == {10}
    assert len(per_sample[1]) == 12


def test_small_share_walks_through_the_dataset(tmp_path):
    cfgs = write_two_splits(str(tmp_path), n_h36m=40, n_coco=12)
    mixed = MixedHumanDataset(cfgs, partition=[0.25, 0.75], num_samples=24)
    assert mixed.counts.tolist() == [6, 18]
    seen = []
    for epoch in range(20):
        seen += [
            i for k, i in (mixed.locate(epoch * 24 + s) for s in range(24))
            if k == 0
        ]
    # 40 samples, 6 per epoch: no repeat before all 40 were drawn.
    assert len(set(seen[:40])) == 40
    counts = Counter(seen)  # 120 draws = 3 passes
    assert set(counts.values()) == {3}


def test_mixing_is_deterministic(tmp_path):
    cfgs = write_two_splits(str(tmp_path))
    a = MixedHumanDataset(cfgs, partition=[0.6, 0.4], seed=3)
    b = MixedHumanDataset(cfgs, partition=[0.6, 0.4], seed=3)
    c = MixedHumanDataset(cfgs, partition=[0.6, 0.4], seed=4)
    # Default epoch length: the largest dataset (mmhuman3d's choice).
    assert len(a) == 30
    idx = range(0, 3 * len(a))
    assert [a.locate(i) for i in idx] == [b.locate(i) for i in idx]
    assert [a.locate(i) for i in idx] != [c.locate(i) for i in idx]
    # Reading in another order gives the same samples.
    assert [a.locate(i) for i in reversed(idx)][::-1] == \
        [b.locate(i) for i in idx]
    info = a.get_data_info(5)
    k, i = a.locate(5)
    assert info['row_idx'] == a.datasets[k].get_data_info(i)['row_idx']


def test_ratios_over_many_batches(tmp_path):
    cfgs = write_two_splits(str(tmp_path), n_h36m=30, n_coco=12)
    mixed = MixedHumanDataset(
        cfgs, partition=[0.6, 0.4], num_samples=100, seed=0)
    sampler = MixedHumanSampler(mixed, shuffle=True, seed=0)
    names = Counter()
    draws = []
    for epoch in range(5):
        sampler.set_epoch(epoch)
        indices = list(sampler)
        assert len(indices) == 100
        assert min(indices) >= epoch * 100 and max(indices) < (epoch + 1) * 100
        located = [mixed.locate(i) for i in indices]
        draws.append(located)
        names.update(mixed.datasets[k].dataset_name for k, _ in located)
    assert names == {'h36m': 300, 'coco': 200}
    # The epoch index changes the draws (coco: 40 draws of 12 samples).
    assert sorted(draws[0]) != sorted(draws[1])
    # Batches are mixed: within any 20 consecutive draws both datasets.
    flat = [k for k, _ in draws[0]]
    assert all(0 < sum(flat[s:s + 20]) < 20 for s in range(0, 100, 20))
    with pytest.raises(TypeError, match='MixedHumanDataset'):
        MixedHumanSampler(list(range(10)))


def test_fraction_and_errors(tmp_path):
    cfgs = write_two_splits(str(tmp_path), n_h36m=30, n_coco=12)
    mixed = MixedHumanDataset(
        cfgs, partition=[0.6, 0.4], fraction=0.5, fraction_seed=1)
    assert mixed.lengths.tolist() == [15, 6]
    sub = HumanImageDataset(
        **{
            k: v
            for k, v in cfgs[0].items() if k != 'type'
        },
        fraction=0.5,
        fraction_seed=1)
    rows = {sub.get_data_info(i)['row_idx'] for i in range(len(sub))}
    drawn = {
        mixed.get_data_info(i)['row_idx']
        for i in range(len(mixed)) if mixed.locate(i)[0] == 0
    }
    assert drawn <= rows
    with pytest.raises(ValueError, match='partition'):
        MixedHumanDataset(cfgs, partition=[1.0])
    with pytest.raises(ValueError, match='partition'):
        MixedHumanDataset(cfgs, partition=[0.0, 0.0])


def test_dataloader_pseudo_collate_over_two_datasets(tmp_path):
    """mmengine builds the loader from a config, as the Runner does."""
    cfgs = write_two_splits(str(tmp_path), n_h36m=30, n_coco=12)
    loader = Runner.build_dataloader(
        dict(
            batch_size=10,
            num_workers=0,
            sampler=dict(type='MixedHumanSampler', shuffle=True),
            collate_fn=dict(type='pseudo_collate'),
            dataset=dict(
                type='MixedHumanDataset',
                datasets=cfgs,
                partition=[0.6, 0.4],
                num_samples=20,
                pipeline=PIPELINE)),
        seed=0)
    assert isinstance(loader.sampler, MixedHumanSampler)
    batches = list(loader)
    assert len(batches) == 2
    names = Counter()
    for batch in batches:
        inputs, samples = batch['inputs'], batch['data_samples']
        assert len(inputs) == len(samples) == 10
        assert all(x.shape == (3, 64, 64) and x.dtype == torch.uint8
                   for x in inputs)
        # Fixed shapes: every label stacks across the two datasets.
        kp3d = torch.stack([s.gt_keypoints3d for s in samples])
        kp2d = torch.stack([s.gt_keypoints2d for s in samples])
        pose = torch.stack([s.gt_smpl_pose for s in samples])
        assert kp3d.shape == (10, 17, 4) and kp2d.shape == (10, 17, 3)
        assert pose.shape == (10, 72)
        for s in samples:
            names[s.dataset_name] += 1
            assert torch.isfinite(s.gt_keypoints3d).all()
            if s.dataset_name == 'coco':
                assert s.has_keypoints3d == 0 and s.has_smpl == 0
                assert (s.gt_keypoints3d == 0).all()
            else:
                assert s.has_keypoints3d == 1 and s.has_smpl == 1
            visible = s.gt_keypoints2d[:, 2] > 0
            assert (s.gt_keypoints2d[visible, :2] >= 0).all()
            assert (s.gt_keypoints2d[visible, :2] < 64).all()
    assert names == {'h36m': 12, 'coco': 8}


def _rank_worker(rank, world_size, init_file, root, out_dir):
    torch.set_num_threads(1)
    dist.init_process_group(
        'gloo',
        init_method=f'file://{init_file}',
        rank=rank,
        world_size=world_size)
    try:
        DefaultScope.get_instance(f'mix_{rank}', scope_name='hpse_bench')
        mixed = MixedHumanDataset(
            write_two_splits_cfgs(root), partition=[0.6, 0.4], num_samples=25)
        sampler = MixedHumanSampler(mixed, shuffle=True, seed=7)
        sampler.set_epoch(2)
        indices = list(sampler)
        with open(osp.join(out_dir, f'rank{rank}.json'), 'w') as f:
            json.dump(
                dict(
                    indices=indices,
                    located=[list(mixed.locate(i)) for i in indices]), f)
    finally:
        dist.destroy_process_group()


def write_two_splits_cfgs(root):
    """The configs of :func:`write_two_splits` for already written files."""
    return [
        dict(
            type='HumanImageDataset',
            dataset_name=name,
            data_root=root,
            ann_file=f'{name}/{name}_train.npz',
            data_prefix=dict(img=f'{name}/')) for name in ('h36m', 'coco')
    ]


@pytest.mark.slow
@pytest.mark.dist
def test_two_ranks_split_one_epoch(tmp_path):
    """2 gloo ranks draw disjoint halves of the single-process epoch."""
    root = str(tmp_path / 'data')
    os.makedirs(root)
    cfgs = write_two_splits(root)
    single_mixed = MixedHumanDataset(
        cfgs, partition=[0.6, 0.4], num_samples=25)
    single = MixedHumanSampler(single_mixed, shuffle=True, seed=7)
    single.set_epoch(2)
    expected = list(single)
    # DefaultSampler's order, offset by the epoch.
    plain = DefaultSampler(single_mixed, shuffle=True, seed=7)
    plain.set_epoch(2)
    assert expected == [2 * 25 + i for i in plain]
    mp.spawn(
        _rank_worker,
        args=(2, str(tmp_path / 'init'), root, str(tmp_path)),
        nprocs=2,
        join=True)
    ranks = []
    for rank in range(2):
        with open(tmp_path / f'rank{rank}.json') as f:
            ranks.append(json.load(f))
    # round_up pads 25 to 26: rank r takes every other index from r.
    padded = (expected * 2)[:26]
    for rank in range(2):
        assert ranks[rank]['indices'] == padded[rank::2]
        assert ranks[rank]['located'] == [
            list(single_mixed.locate(i)) for i in padded[rank::2]
        ]
    union = set(ranks[0]['indices']) | set(ranks[1]['indices'])
    assert union == set(expected)
