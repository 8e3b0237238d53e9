"""SyntheticOcclusion: the Occlusion-Person stand-in of the synthetic data."""
import copy

import numpy as np
import pytest
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from hpse_bench.datasets import HumanImageDataset
from hpse_bench.datasets.transforms import SyntheticOcclusion


def _results(sample_idx=0, size=64, joints=None):
    img = np.full((size, size, 3), 128, np.uint8)
    kpts = np.zeros((17, 3), np.float32)
    if joints is not None:
        kpts[:len(joints), :2] = joints
        kpts[:len(joints), 2] = 1
    return dict(img=img,
                keypoints2d=kpts,
                keypoints3d=np.ones((17, 4), np.float32),
                sample_idx=sample_idx)


def test_occluder_covers_the_joint_it_is_centred_on():
    t = SyntheticOcclusion(num_occluders=(1, 1), size_range=(0.3, 0.3), seed=0)
    for idx in range(20):
        out = t(_results(idx, joints=[(20.0, 40.0)]))
        changed = (out['img'] != 128).any(-1)
        # Centred within 5 % of the side of the only joint; its smaller
        # half-axis is at least 0.3 * 64 / sqrt(2) / 2 ~ 6.8 px.
        assert changed[40, 20], idx
        assert out['num_occluders'] == 1
        np.testing.assert_array_equal(out['keypoints3d'], 1)
        np.testing.assert_array_equal(out['keypoints2d'][0], [20, 40, 1])


def test_seeded_draws_are_fixed_per_sample():
    t = SyntheticOcclusion(seed=7)
    joints = [(10.0, 10.0), (50.0, 30.0), (30.0, 55.0)]
    a = t(_results(3, joints=joints))['img']
    b = t(_results(3, joints=joints))['img']
    c = t(_results(4, joints=joints))['img']
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # Heavy: 1-3 occluders of 15-40 % of the side hide a good share.
    covered = [(t(_results(i, joints=joints))['img'] != 128).any(-1).mean()
               for i in range(30)]
    assert 0.03 < np.mean(covered) < 0.6


def test_unseeded_draws_follow_numpy_global_seed():
    t = SyntheticOcclusion()
    np.random.seed(11)
    a = t(_results())['img']
    np.random.seed(11)
    b = t(_results())['img']
    np.random.seed(12)
    c = t(_results())['img']
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_probability_and_argument_checks():
    t = SyntheticOcclusion(prob=0.0, seed=0)
    out = t(_results())
    assert out['num_occluders'] == 0 and (out['img'] == 128).all()
    with pytest.raises(ValueError, match='num_occluders'):
        SyntheticOcclusion(num_occluders=(3, 1))
    with pytest.raises(ValueError, match='size_range'):
        SyntheticOcclusion(size_range=(0.0, 0.2))
    with pytest.raises(ValueError, match='prob'):
        SyntheticOcclusion(prob=1.5)
    results = _results()
    del results['sample_idx']
    with pytest.raises(KeyError, match='sample_idx'):
        SyntheticOcclusion(seed=0)(results)


def test_occluded_test_split_differs_only_in_pixels(synthetic_root):
    """The synthetic Occlusion-Person test set: the h36m test split behind
    seeded occluders; labels and crops equal the plain split's."""
    init_default_scope('hpse_bench')
    base = [
        dict(type='LoadHumanImage'),
        dict(type='TopdownHumanAffine', input_size=(64, 64)),
    ]
    pack = [dict(type='PackHumanInputs')]
    occ = [dict(type='SyntheticOcclusion', seed=0)]

    def dataset(pipeline):
        return HumanImageDataset(ann_file='h36m/h36m_test.npz',
                                 dataset_name='h36m',
                                 data_root=synthetic_root,
                                 data_prefix=dict(img='h36m/'),
                                 test_mode=True,
                                 pipeline=copy.deepcopy(pipeline))

    plain = dataset(base + pack)
    occluded = dataset(base + occ + pack)
    again = Compose(copy.deepcopy(base + occ + pack))
    for i in range(len(plain)):
        p, o = plain[i], occluded[i]
        assert not np.array_equal(p['inputs'], o['inputs'])
        np.testing.assert_array_equal(
            o['inputs'],
            again(occluded.get_data_info(i))['inputs'])
        np.testing.assert_array_equal(p['data_samples'].gt_keypoints3d,
                                      o['data_samples'].gt_keypoints3d)
