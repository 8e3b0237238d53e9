"""The base dataset configs build working loaders (on tmp files and, when
the session fixture ``synthetic_root`` exists, on the generated data)."""
import os.path as osp

import numpy as np
import pytest
import torch
from human_data_samples import make_human_data, save_human_data, write_images
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from hpse_bench.registry import METRICS

CONFIG_DIR = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
    '_base_', 'datasets')
TEST_SETS = ('pw3d_test', 'h36m_test', 'mupots_test')


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('hpse_bench')


def load(name):
    return Config.fromfile(osp.join(CONFIG_DIR, f'{name}.py'))


def small_loader(cfg, root, num_workers=0):
    """A copy of a dataloader config reading ``root``, without workers."""
    cfg = cfg.copy()
    cfg.update(num_workers=num_workers, persistent_workers=False, batch_size=4)
    datasets = cfg.dataset.get('datasets', [cfg.dataset])
    for d in datasets:
        d.data_root = root
    return cfg


def write_layout(root):
    """The synthetic layout of docs/data_contract.md, made by hand."""
    specs = {
        'h36m/h36m_train.npz': dict(),
        'coco/coco_train.npz': dict(with_keypoints3d=False, with_smpl=False),
        'pw3d/pw3d_test.npz': dict(),
        'h36m/h36m_test.npz': dict(),
        'mupots/mupots_test.npz': dict(with_smpl=False),
    }
    for i, (ann, kwargs) in enumerate(specs.items()):
        folder = osp.join(root, osp.dirname(ann))
        paths = write_images(folder, 6, seed=i)
        extra = {}
        if ann.startswith('mupots'):
            paths = [paths[j // 2] for j in range(6)]  # 2 people per image
            extra['image_id'] = np.arange(6) // 2
        save_human_data(
            osp.join(root, ann), make_human_data(6, seed=i, **kwargs), paths,
            **extra)


def test_real_configs_name_mmhuman3d_files():
    train = load('h36m-coco_train')
    assert train.fraction == 1.0 and train.input_size == (224, 224)
    ds = train.train_dataloader.dataset
    assert ds.type == 'MixedHumanDataset' and ds.partition == [0.6, 0.4]
    assert [d.ann_file for d in ds.datasets] == [
        'preprocessed_datasets/h36m_train.npz',
        'preprocessed_datasets/eft_coco_all.npz'
    ]
    assert train.train_dataloader.sampler.type == 'MixedHumanSampler'
    files = {
        'pw3d_test': 'preprocessed_datasets/pw3d_test.npz',
        'h36m_test': 'preprocessed_datasets/h36m_valid_protocol2.npz',
        'mupots_test': 'preprocessed_datasets/mupots3d_test.npz',
    }
    for name, ann in files.items():
        cfg = load(name)
        assert cfg.test_dataloader.dataset.ann_file == ann
        assert cfg.test_dataloader.dataset.data_root == 'data/'
        assert cfg.test_dataloader.sampler.shuffle is False
        # The evaluators name metrics that exist.
        # A list of metrics (a dict with 'metrics' would be read by the
        # Runner as an Evaluator config).
        evaluators = cfg.test_evaluator if isinstance(
            cfg.test_evaluator, list) else [cfg.test_evaluator]
        for evaluator in evaluators:
            metric = METRICS.build(evaluator)
            assert metric.prefix == evaluator.prefix


def test_fraction_changes_in_one_place(tmp_path):
    child = tmp_path / 'child.py'
    child.write_text(
        f"_base_ = ['{osp.join(CONFIG_DIR, 'h36m-coco_train_synthetic.py')}']"
        '\ntrain_dataloader = dict(dataset=dict(fraction=0.1))\n')
    cfg = Config.fromfile(str(child))
    assert cfg.train_dataloader.dataset.fraction == 0.1
    assert cfg.synthetic_data == dict(root='data/synthetic')


def test_synthetic_configs_build_loaders(tmp_path):
    root = str(tmp_path)
    write_layout(root)
    train = load('h36m-coco_train_synthetic')
    loader = Runner.build_dataloader(
        small_loader(train.train_dataloader, root), seed=0)
    batch = next(iter(loader))
    assert len(batch['inputs']) == 4
    assert batch['inputs'][0].shape == (3, 224, 224)
    names = {d.dataset_name for d in loader.dataset.datasets}
    assert names == {'h36m', 'coco'}
    for name in TEST_SETS:
        cfg = load(f'{name}_synthetic')
        loader = Runner.build_dataloader(
            small_loader(cfg.test_dataloader, root), seed=0)
        samples = [s for b in loader for s in b['data_samples']]
        assert len(samples) == 6
        assert [s.sample_idx for s in samples] == list(range(6))
        for s in samples:
            assert s.img_shape == (224, 224) and s.flip is False
            assert s.rotation == 0
            assert s.has_keypoints3d == 1
        if name == 'mupots_test':
            assert [s.image_id for s in samples] == [0, 0, 1, 1, 2, 2]
        if name == 'pw3d_test':
            assert samples[0].gender == 'm'
        # The evaluator is built with this config.
        for evaluator in (cfg.test_evaluator if isinstance(
                cfg.test_evaluator, list) else [cfg.test_evaluator]):
            METRICS.build(evaluator)


def _synthetic_root(request):
    try:
        return str(request.getfixturevalue('synthetic_root'))
    except pytest.FixtureLookupError:
        pytest.skip('no synthetic_root fixture in tests/conftest.py')


def test_on_generated_synthetic_data(request):
    """The generator's files read back with consistent labels."""
    root = _synthetic_root(request)
    train = load('h36m-coco_train_synthetic')
    loader_cfg = small_loader(train.train_dataloader, root)
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    mixed = loader.dataset
    for dataset in mixed.datasets:
        assert len(dataset) > 0
        for i in range(min(len(dataset), 5)):
            info = dataset.get_data_info(i)
            assert osp.isfile(info['img_path'])
            for key in ('keypoints2d', 'keypoints2d_img', 'keypoints3d'):
                assert np.isfinite(info[key]).all()
            if dataset.dataset_name == 'coco':
                assert info['has_keypoints3d'] == 0
                assert info['keypoints2d'][:, 2].any()
            else:
                check_projection(info)
    batch = next(iter(loader))
    assert all(x.shape == (3, 224, 224) for x in batch['inputs'])
    for s in batch['data_samples']:
        assert torch.isfinite(s.gt_keypoints2d).all()
    for name in TEST_SETS:
        cfg = load(f'{name}_synthetic')
        loader = Runner.build_dataloader(
            small_loader(cfg.test_dataloader, root), seed=0)
        dataset = loader.dataset
        assert len(dataset) > 0
        infos = [dataset.get_data_info(i) for i in range(len(dataset))]
        for info in infos[:5]:
            assert info['has_keypoints3d'] == 1
            check_projection(info)
        if name == 'mupots_test':
            # Several people share an image.
            ids = [info['image_id'] for info in infos]
            assert len(set(ids)) < len(ids)
        batch = next(iter(loader))
        assert batch['data_samples'][0].warp_mat.shape == (2, 3)


def check_projection(info):
    """H36M 2D keypoints are the projections of the 3D ones (when the file
    has the camera)."""
    if 'focal_length' not in info:
        return
    kp3d, kp2d = info['keypoints3d'], info['keypoints2d_img']
    valid = (kp3d[:, 3] > 0) & (kp2d[:, 2] > 0)
    if not valid.any():
        return
    proj = (
        kp3d[valid, :2] / kp3d[valid, 2:3] * info['focal_length'] +
        info['principal_point'])
    np.testing.assert_allclose(proj, kp2d[valid, :2], atol=1.0)
