"""HumanMeshVisualizationHook in real Runner runs on the tiny synthetic
data: ``tools/test.py --show-dir`` writes one overlay per test person, and
validation sends overlays to the visualiser's backend."""
import glob
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from hpse_bench.apis.test import enable_visualization, main
from hpse_bench.registry import DATASETS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'finetune',
                  'hmr_r18_1xb32-8e_h36m-coco_100p_synthetic.py')


def h36m_test_config(work_dir: str) -> Config:
    """The synthetic HMR config, tested on the 8 people of the tiny h36m
    test split in batches of 4."""
    cfg = Config.fromfile(CONFIG)
    cfg.synthetic_data = None  # the fixture's data are linked in instead
    dataset = cfg.test_dataloader.dataset.datasets[1]
    assert dataset.dataset_name == 'h36m'
    loader = dict(
        batch_size=4,
        num_workers=0,
        persistent_workers=False,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dataset)
    cfg.test_dataloader = loader
    cfg.val_dataloader = loader
    evaluator = [
        dict(type='HumanMeshMetric', metrics=['pa_mpjpe'], prefix='h36m')
    ]
    cfg.test_evaluator = evaluator
    cfg.val_evaluator = evaluator
    cfg.work_dir = work_dir
    return cfg


@pytest.fixture
def in_data_folder(synthetic_root, tmp_path, monkeypatch):
    os.makedirs(tmp_path / 'data')
    os.symlink(synthetic_root, tmp_path / 'data' / 'synthetic')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_show_dir_writes_one_overlay_per_test_person(in_data_folder):
    tmp = in_data_folder
    cfg = h36m_test_config(str(tmp / 'work'))
    cfg_file = str(tmp / 'hmr_h36m_test.py')
    cfg.dump(cfg_file)
    show = str(tmp / 'show')
    main([
        cfg_file, 'none', '--work-dir',
        str(tmp / 'work'), '--show-dir', show
    ])

    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    files = sorted(glob.glob(osp.join(show, '*.png')))
    assert len(files) == len(dataset) == 8
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        stem = osp.splitext(osp.basename(info['img_path']))[0]
        path = osp.join(show, f'h36m_{info["sample_idx"]}_{stem}.png')
        assert path in files
        image = cv2.imread(info['img_path'])
        drawn = cv2.imread(path)
        h, w = image.shape[:2]
        # [overlay | side view | legend]
        assert drawn.shape[1] > 2 * w
        changed = (drawn[:h, :w] != image).any(-1)
        assert changed.sum() > 300
        # Mesh and ground-truth keypoints lie in the person's crop square
        # (keypoint dots reach 4 px beyond their joints).
        ys, xs = np.nonzero(changed)
        centre, side = info['bbox_center'], info['bbox_scale'][0]
        assert (np.abs(xs - centre[0]) <= side / 2 + 4).all()
        assert (np.abs(ys - centre[1]) <= side / 2 + 4).all()
        # The side view holds a mesh too.
        side_view = drawn[:h, w + 4:2 * w + 4]
        assert (side_view != side_view[0, 0]).any(-1).sum() > 300


def test_validation_sends_overlays_to_the_backend(in_data_folder):
    tmp = in_data_folder
    cfg = h36m_test_config(str(tmp / 'work'))
    enable_visualization(cfg, 'unused', interval=1)
    cfg.default_hooks.visualization.out_dir = None
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    runner = Runner.from_cfg(cfg)
    runner.val()
    images = glob.glob(
        osp.join(runner.log_dir, 'vis_data', 'vis_image', 'val_h36m_*.png'))
    # The first person of each of the two batches.
    assert len(images) == 2


def test_hook_names_the_visualiser_it_needs(in_data_folder):
    tmp = in_data_folder
    cfg = h36m_test_config(str(tmp / 'work'))
    cfg.default_hooks.visualization = dict(
        type='HumanMeshVisualizationHook', enable=True, interval=1)
    cfg.visualizer = dict(type='Visualizer', vis_backends=[])
    runner = Runner.from_cfg(cfg)
    with pytest.raises(TypeError, match="type='HumanMeshVisualizer'"):
        runner.val()
