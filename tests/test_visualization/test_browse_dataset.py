"""tools/analysis_tools/browse_dataset.py on synthetic configs: fine-tuning
(hpse_bench samples), DensePose (mmpose samples) and DetCon (two views with
segments)."""
import importlib.util
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import set_random_seed

from hpse_bench.registry import DATASETS
from hpse_bench.structures.conventions import DENSEPOSE_COARSE_PARTS
from hpse_bench.visualization.palettes import (LEFT_COLOR, RIGHT_COLOR,
                                               label_palette)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'browse_dataset.py')
CONFIGS = osp.join(REPO, 'configs')


def browse(*argv: str) -> None:
    spec = importlib.util.spec_from_file_location('browse_dataset', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(list(argv)) == 0


@pytest.fixture
def in_data_folder(synthetic_root, tmp_path, monkeypatch):
    os.makedirs(tmp_path / 'data')
    os.symlink(synthetic_root, tmp_path / 'data' / 'synthetic')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def has_color(image_rgb: np.ndarray, color) -> bool:
    return bool((image_rgb == np.asarray(color)).all(-1).any())


def test_finetune_samples_show_the_pipeline_crop_and_keypoints(in_data_folder):
    config = osp.join(CONFIGS, 'finetune',
                      'hmr_r18_1xb32-8e_h36m-coco_100p_synthetic.py')
    out = str(in_data_folder / 'browse')
    browse(config, '--output-dir', out, '--max-items', '2', '--zoom', '2',
           '--cfg-options', 'synthetic_data=None')
    names = sorted(os.listdir(out))
    assert len(names) == 2

    # The same samples, through the same pipeline and seed.
    cfg = Config.fromfile(config)
    init_default_scope('hpse_bench')
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    dataset.full_init()
    set_random_seed(0)
    for index, name in enumerate(names):
        item = dataset[index]
        meta = item['data_samples'].metainfo
        assert name == (f'{index:04d}_{meta["dataset_name"]}_'
                        f'{meta["sample_idx"]}.png')
        picture = cv2.imread(osp.join(out, name))
        crop = item['inputs'].numpy().transpose(1, 2, 0)  # BGR, as saved
        zoomed = cv2.resize(
            crop, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
        # The network input is in the picture, untouched but for its
        # keypoints.
        score = cv2.matchTemplate(picture, zoomed, cv2.TM_SQDIFF)
        x, y = cv2.minMaxLoc(score)[2]
        panel = picture[y:y + zoomed.shape[0], x:x + zoomed.shape[1]]
        assert (panel == zoomed).all(-1).mean() > 0.8
        panel = panel[..., ::-1]
        kp = item['data_samples'].gt_keypoints2d.numpy()
        if (kp[5:, 2] > 0).any():  # visible body joints: coloured sides
            assert has_color(panel, LEFT_COLOR) or has_color(
                panel, RIGHT_COLOR)


def test_densepose_samples_show_the_coarse_parts(in_data_folder):
    config = osp.join(CONFIGS, 'pretrain',
                      'densepose_r18_1xb8-2e_coco_synthetic.py')
    out = str(in_data_folder / 'browse')
    browse(config, '--output-dir', out, '--max-items', '2', '--cfg-options',
           'synthetic_data=None')
    names = sorted(os.listdir(out))
    assert len(names) == 2
    palette = label_palette(len(DENSEPOSE_COARSE_PARTS))
    for name in names:
        picture = cv2.imread(osp.join(out, name))[..., ::-1]
        # Torso and several limbs, each in its legend colour.
        present = [k for k in range(1, 15) if has_color(picture, palette[k])]
        assert 1 in present and len(present) >= 5, present


def test_detcon_samples_show_both_views_and_their_segments(in_data_folder):
    config = osp.join(CONFIGS, 'pretrain',
                      'detcon_r18_1xb8-2e_coco_synthetic.py')
    out = str(in_data_folder / 'browse')
    browse(config, '--output-dir', out, '--max-items', '1', '--zoom', '1',
           '--cfg-options', 'synthetic_data=None')
    (name, ) = os.listdir(out)
    picture = cv2.imread(osp.join(out, name))
    cfg = Config.fromfile(config)
    crop_w = cfg.input_size[0]
    # original + 2 views + 2 segment maps, side by side
    assert picture.shape[1] >= 4 * crop_w
