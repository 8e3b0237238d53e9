"""HumanMeshVisualizer: what each drawing call puts where, and legends."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from hpse_bench.registry import VISUALIZERS
from hpse_bench.structures import HumanDataSample
from hpse_bench.structures.conventions import COCO_17, DENSEPOSE_CHARTS
from hpse_bench.visualization import HumanMeshVisualizer, skeleton_side_view
from hpse_bench.visualization.label_maps import iso_lines
from hpse_bench.visualization.legend import append_legend
from hpse_bench.visualization.palettes import (GT_COLOR, LEFT_COLOR,
                                               RIGHT_COLOR, label_palette)

_COUNT = [0]


def make_visualizer(**kwargs) -> HumanMeshVisualizer:
    # Visualizer instances are named singletons: one name per test.
    _COUNT[0] += 1
    return HumanMeshVisualizer(name=f'test_vis_{_COUNT[0]}', **kwargs)


def test_built_from_the_registry_in_hpse_bench_scope():
    init_default_scope('hpse_bench')
    vis = VISUALIZERS.build(
        dict(type='HumanMeshVisualizer', name='test_vis_registry'))
    assert isinstance(vis, HumanMeshVisualizer)


def test_keypoints_are_drawn_where_they_are_with_side_colours():
    vis = make_visualizer()
    vis.set_image(np.zeros((100, 120, 3), np.uint8))
    kp = np.zeros((17, 2))
    kp[COCO_17.index('left_wrist')] = (20, 30)
    kp[COCO_17.index('right_wrist')] = (90, 30)
    kp[COCO_17.index('left_elbow')] = (20, 70)
    scores = np.zeros(17)
    for name in ('left_wrist', 'right_wrist', 'left_elbow'):
        scores[COCO_17.index(name)] = 1.0
    vis.draw_keypoints(kp, scores, 'coco_17', label='pred')
    out = vis.get_image()
    assert tuple(out[30, 20]) == LEFT_COLOR
    assert tuple(out[30, 90]) == RIGHT_COLOR
    # The elbow-wrist link (both left) runs between them in the left colour.
    assert tuple(out[50, 20]) == LEFT_COLOR
    # Keypoints with zero score draw nothing (nose at the origin).
    assert (out[0:3, 0:3] == 0).all()
    texts = [t for t, _ in vis.legend_entries()]
    assert texts == ['pred: left', 'pred: right']


def test_keypoint_count_must_match_the_convention():
    vis = make_visualizer()
    vis.set_image(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError, match='h36m_17'):
        vis.draw_keypoints(np.zeros((14, 2)), None, 'h36m_17')


def test_part_map_colours_and_legend_name_the_parts_present():
    vis = make_visualizer()
    vis.set_image(np.zeros((40, 40, 3), np.uint8))
    labels = np.zeros((20, 20), np.int64)  # resized to the image (x2)
    labels[:, 10:] = 3
    names = ['torso', 'right_hand', 'left_hand']
    vis.draw_part_map(labels, names, alpha=1.0)
    out = vis.get_image()
    palette = label_palette(3)
    assert tuple(out[5, 30]) == palette[3]
    assert (out[:, :20] == 0).all()
    assert vis.legend_entries() == [('3: left_hand', palette[3])]


def test_densepose_iuv_lines_follow_u_and_v():
    height, width = 40, 50
    charts = np.zeros((height, width), np.int64)
    charts[:, 5:45] = 2
    # 0.1 every 5 px, never exactly on a multiple of 0.1.
    u = np.tile((np.arange(width) + 0.5) / width, (height, 1))
    v = np.zeros((height, width))
    lines = iso_lines(u, charts, 0.1)
    # U crosses a multiple of 0.1 at x = 10, 15, ..., 40 inside the chart;
    # no line at the chart's border (x = 5, 45) nor outside it.
    cols = sorted(set(np.nonzero(lines)[1]))
    assert cols == list(range(10, 45, 5))
    vis = make_visualizer()
    vis.set_image(np.zeros((height, width, 3), np.uint8))
    vis.draw_densepose_iuv(charts, u, v, DENSEPOSE_CHARTS, alpha=1.0)
    out = vis.get_image()
    assert tuple(out[20, 10]) == (255, 255, 255)  # a U iso-line
    assert tuple(out[20, 12]) == label_palette(24)[2]
    assert ('I=2: torso_front', label_palette(24)[2]) in \
        vis.legend_entries()


def test_legend_keeps_the_picture_coordinates():
    image = np.random.default_rng(0).integers(
        0, 255, (50, 60, 3), dtype=np.uint8)
    out = append_legend(image, [('a', (255, 0, 0)), ('b', (0, 255, 0))],
                        'title')
    assert out.shape[0] >= 50 and out.shape[1] > 60
    assert (out[:50, :60] == image).all()
    # The swatches are in the panel.
    panel = out[:, 60:]
    assert ((panel == (255, 0, 0)).all(-1)).any()
    assert ((panel == (0, 255, 0)).all(-1)).any()


def test_skeleton_side_view_keeps_the_pelvis_and_the_image_scale():
    rng = np.random.default_rng(1)
    kp3d = rng.normal(0, 0.3, (17, 3))
    kp3d -= kp3d[0]
    scale, pelvis = 150.0, np.array([60.0, 80.0])
    kp2d = pelvis + scale * kp3d[:, :2]
    side = skeleton_side_view(kp3d, kp2d, 90.0)
    np.testing.assert_allclose(side[0], pelvis)
    # Turned 90 degrees: x on screen is the depth, y is unchanged.
    np.testing.assert_allclose(
        side[:, 0], pelvis[0] + scale * kp3d[:, 2], atol=1e-9)
    np.testing.assert_allclose(side[:, 1], kp2d[:, 1], atol=1e-9)


def test_add_datasample_writes_overlay_side_view_and_legend(tmp_path):
    """A keypoint prediction with ground truth: [overlay | side | legend]."""
    vis = make_visualizer()
    sample = HumanDataSample(
        metainfo=dict(
            dataset_name='h36m',
            sample_idx=3,
            bbox=np.array([10, 10, 70, 90], np.float32)))
    rng = np.random.default_rng(2)
    # Predictions on the left half, ground truth on the right.
    kp2d = torch.tensor(rng.uniform(10, 30, (17, 2)))
    sample.pred_keypoints2d_img = kp2d
    sample.pred_keypoints3d = torch.zeros(17, 3)
    sample.gt_keypoints2d_img = torch.cat(
        [kp2d + torch.tensor([40.0, 0.0]),
         torch.ones(17, 1)], dim=1)
    image = np.zeros((100, 80, 3), np.uint8)
    out_file = str(tmp_path / 'sample.png')
    drawn = vis.add_datasample('s', image, sample, out_file=out_file)
    saved = cv2.imread(out_file)[..., ::-1]
    assert (saved == drawn).all()
    assert drawn.shape[1] > 2 * 80  # overlay, side view and legend
    texts = [t for t, _ in vis.legend_entries()]
    assert 'ground truth H36M-17' in texts
    assert 'predicted H36M-17: left' in texts
    assert 'box, person 1' in texts
    overlay = drawn[:100, :80]
    white = (overlay == GT_COLOR).all(-1)
    assert white[:, 45:].any() and not white[:, :40].any()
    left = (overlay == LEFT_COLOR).all(-1)
    assert left[:, :40].any() and not left[:, 45:].any()
