"""CocoDensePoseDataset and the DensePose top-down transforms."""
import copy
import json
import os.path as osp

import numpy as np
import pycocotools.mask as mask_utils
import pytest
from densepose_samples import (BLOCKS, IMG_W, block_label_map, coarse_label,
                               label_of_color, write_densepose_coco)
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from hpse_bench.datasets import CocoDensePoseDataset
from hpse_bench.datasets.transforms import (DensePoseRandomFlip,
                                            DensePoseTopdownAffine,
                                            PackDensePoseInputs)
from hpse_bench.structures.conventions import DENSEPOSE_CHART_TO_COARSE

# detectron2's DensePoseTransformData tables, written out independently of
# the names in conventions.py.
POINT_LABEL_SYMMETRIES = [
    0, 1, 2, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15, 18, 17, 20, 19,
    22, 21, 24, 23
]
MASK_LABEL_SYMMETRIES = [0, 1, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 14]
INPUT_W, INPUT_H = 48, 64


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    init_default_scope('hpse_bench')
    root = str(tmp_path_factory.mktemp('coco_densepose'))
    info = write_densepose_coco(root)
    info['root'] = root
    return info


def build_dataset(root, pipeline=(), **kwargs):
    return CocoDensePoseDataset(
        data_root=root,
        ann_file=kwargs.pop('ann_file', 'annotations/densepose.json'),
        data_prefix=dict(img='images/'),
        pipeline=list(pipeline),
        **kwargs)


def by_id(dataset):
    return {dataset.get_data_info(i)['id']: i for i in range(len(dataset))}


def test_people_kept_and_flagged(toy):
    dataset = build_dataset(toy['root'])
    index = by_id(dataset)
    # Crowd (3) and people with neither keypoints nor DensePose (5) go.
    assert sorted(index) == [1, 2, 4]
    flags = {
        i: dataset.get_data_info(j)['has_densepose']
        for i, j in index.items()
    }
    assert flags == {1: True, 2: False, 4: True}
    info = dataset.get_data_info(index[2])
    assert info['dp_points'].shape == (0, 2) and info['dp_I'].shape == (0, )
    assert not info['dp_segm'].any()

    only = build_dataset(
        toy['root'], filter_cfg=dict(densepose_only=True))
    assert sorted(by_id(only)) == [1, 4]


def test_points_in_image_pixels(toy):
    dataset = build_dataset(toy['root'])
    for ann_id in (1, 4):
        ann = toy['annotations'][ann_id]
        info = dataset.get_data_info(by_id(dataset)[ann_id])
        x0, y0, w, h = ann['bbox']
        # Continuous box frame -> pixel-index coordinates (centre of pixel
        # (r, c) at (c, r)).
        expected = np.stack([
            x0 + np.array(ann['dp_x']) * w / 256 - 0.5,
            y0 + np.array(ann['dp_y']) * h / 256 - 0.5
        ], 1)
        np.testing.assert_allclose(info['dp_points'], expected, atol=1e-4)
        np.testing.assert_array_equal(info['dp_I'], ann['dp_I'])
        np.testing.assert_allclose(info['dp_U'], ann['dp_U'], atol=1e-6)
        np.testing.assert_allclose(info['dp_V'], ann['dp_V'], atol=1e-6)
        assert info['dp_I'].dtype == np.int64
        # The raw fields are not kept twice.
        assert 'dp_masks' not in info['raw_ann_info']


def test_rle_masks_round_trip(toy):
    dataset = build_dataset(toy['root'])
    ann = toy['annotations'][1]
    segm = dataset.get_data_info(by_id(dataset)[1])['dp_segm']
    assert segm.shape == (256, 256) and segm.dtype == np.uint8
    np.testing.assert_array_equal(segm, block_label_map())
    # Re-encoding each decoded part gives the file's RLE back.
    for k, rle in enumerate(ann['dp_masks']):
        part = np.asfortranarray((segm == k + 1).astype(np.uint8))
        if not rle:
            assert not part.any()
            continue
        again = mask_utils.encode(part)
        assert again['counts'].decode() == rle['counts']


def test_uncompressed_rle_and_overlap_order():
    # Uncompressed RLE: run lengths of the column-major flattening,
    # starting with zeros (COCO's format), written by hand here.
    mask_a = np.zeros((256, 256), np.uint8)
    mask_a[10:20, 30:40] = 1
    mask_b = np.zeros((256, 256), np.uint8)
    mask_b[15:25, 35:45] = 1

    def runs(mask):
        flat = mask.flatten(order='F')
        change = np.flatnonzero(np.diff(flat)) + 1
        bounds = np.concatenate([[0], change, [flat.size]])
        counts = np.diff(bounds).tolist()
        return [0] + counts if flat[0] else counts

    masks = [[] for _ in range(14)]
    masks[2] = {'size': [256, 256], 'counts': runs(mask_a)}
    masks[5] = {'size': [256, 256], 'counts': runs(mask_b)}
    segm = CocoDensePoseDataset.decode_coarse_masks(masks)
    expected = np.zeros((256, 256), np.uint8)
    expected[mask_a > 0] = 3
    expected[mask_b > 0] = 6  # later parts overwrite, as in detectron2
    np.testing.assert_array_equal(segm, expected)


@pytest.mark.parametrize('corrupt, message', [
    (lambda a: a.pop('dp_V'), 'lacks'),
    (lambda a: a['dp_I'].__setitem__(0, 0.0), 'dp_I'),
    (lambda a: a['dp_I'].__setitem__(0, 2.5), 'dp_I'),
    (lambda a: a['dp_U'].__setitem__(0, 1.5), 'dp_U'),
    (lambda a: a['dp_x'].append(3.0), 'differ in length'),
    (lambda a: a['dp_masks'].pop(), 'list of 14'),
    (lambda a: a['dp_masks'][9].__setitem__('size', [128, 128]),
     r'dp_masks\[9\]'),
])
def test_malformed_annotation_raises(toy, tmp_path, corrupt, message):
    with open(toy['ann_file']) as f:
        coco = json.load(f)
    ann = next(a for a in coco['annotations'] if a['id'] == 4)
    corrupt(ann)
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps(coco))
    with pytest.raises(ValueError, match=message) as info:
        build_dataset(toy['root'], ann_file=str(bad))
    assert 'annotation id 4' in str(info.value)
    assert 'bad.json' in str(info.value)


def test_only_topdown(toy):
    with pytest.raises(ValueError, match='topdown'):
        build_dataset(toy['root'], data_mode='bottomup')


def set_rotation(degrees, scale):
    """A pipeline step that rotates and zooms the crop box."""

    def step(results):
        results['bbox_rotation'] = np.array([degrees], np.float32)
        results['bbox_scale'] = results['bbox_scale'] * scale
        return results

    return step


def crop_pipeline(*middle):
    return [
        dict(type='mmpose.LoadImage'),
        dict(type='mmpose.GetBBoxCenterScale'),
        *middle,
        DensePoseTopdownAffine(input_size=(INPUT_W, INPUT_H)),
        PackDensePoseInputs(),
    ]


def check_points_on_parts(target, label_map, chart_to_label):
    """Every point lies on the label its chart belongs to."""
    pts = target.points.numpy()
    assert len(pts) > 0
    cols = np.round(pts[:, 0]).astype(int)
    rows = np.round(pts[:, 1]).astype(int)
    assert (cols >= 0).all() and (cols < INPUT_W).all()
    assert (rows >= 0).all() and (rows < INPUT_H).all()
    expected = [chart_to_label(c) for c in target.charts.tolist()]
    np.testing.assert_array_equal(label_map[rows, cols], expected)


def interior(label_map):
    """Pixels whose 3x3 neighbourhood has one label (away from edges)."""
    pad = np.pad(label_map, 1, mode='edge')
    same = np.ones(label_map.shape, bool)
    for dy in range(3):
        for dx in range(3):
            same &= pad[dy:dy + label_map.shape[0],
                        dx:dx + label_map.shape[1]] == label_map
    return same


@pytest.mark.parametrize('rotation, scale', [(0., 1.), (30., 1.3),
                                             (-70., 0.8)])
def test_affine_moves_points_onto_warped_masks(toy, rotation, scale):
    dataset = build_dataset(
        toy['root'],
        pipeline=crop_pipeline(set_rotation(rotation, scale)),
        filter_cfg=dict(densepose_only=True))
    for i in range(len(dataset)):
        packed = dataset[i]
        target = packed['data_samples'].gt_densepose
        segm = target.coarse_segm.numpy()
        assert segm.shape == (INPUT_H, INPUT_W)
        assert bool(target.has_densepose)
        # All four parts and the background are in view.
        assert set(np.unique(segm)) == {0} | {
            coarse_label(n) for _, n in BLOCKS
        }
        check_points_on_parts(target, segm,
                              lambda c: DENSEPOSE_CHART_TO_COARSE[c])
        # The warped masks agree with the parts painted in the warped
        # image, away from edges (the image is resampled bilinearly).
        img = packed['inputs'].permute(1, 2, 0).numpy()
        painted = label_of_color(img)
        keep = interior(segm) & interior(painted)
        assert keep.sum() > 0.5 * segm.size
        assert (painted[keep] == segm[keep]).mean() > 0.99


def test_points_leaving_the_crop_are_dropped(toy):
    dataset = build_dataset(
        toy['root'],
        pipeline=crop_pipeline(set_rotation(0., 0.3)),
        filter_cfg=dict(densepose_only=True))
    target = dataset[0]['data_samples'].gt_densepose
    assert 0 < target.num_points < 24
    check_points_on_parts(target, target.coarse_segm.numpy(),
                          lambda c: DENSEPOSE_CHART_TO_COARSE[c])


def test_person_without_densepose_is_packed_empty(toy):
    dataset = build_dataset(toy['root'], pipeline=crop_pipeline())
    packed = dataset[by_id(dataset)[2]]
    target = packed['data_samples'].gt_densepose
    assert not bool(target.has_densepose)
    assert target.num_points == 0
    assert target.coarse_segm.shape == (INPUT_H, INPUT_W)
    assert not target.coarse_segm.any()


def load(dataset, idx):
    steps = Compose([
        dict(type='mmpose.LoadImage'),
        dict(type='mmpose.GetBBoxCenterScale')
    ])
    return steps(dataset.get_data_info(idx))


def test_flip_swaps_charts_and_parts(toy):
    dataset = build_dataset(
        toy['root'], filter_cfg=dict(densepose_only=True))
    flip = DensePoseRandomFlip(uv_symmetry='mirror_u', prob=1.0)
    before = load(dataset, 0)
    after = flip(copy.deepcopy(before))
    assert after['flip']
    np.testing.assert_array_equal(
        after['dp_I'], np.array(POINT_LABEL_SYMMETRIES)[before['dp_I']])
    np.testing.assert_allclose(after['dp_U'], 1 - before['dp_U'], atol=1e-6)
    np.testing.assert_array_equal(after['dp_V'], before['dp_V'])
    np.testing.assert_allclose(after['dp_points'][:, 0],
                               IMG_W - 1 - before['dp_points'][:, 0])
    np.testing.assert_array_equal(after['dp_points'][:, 1],
                                  before['dp_points'][:, 1])
    np.testing.assert_array_equal(
        after['dp_segm'],
        np.array(MASK_LABEL_SYMMETRIES)[before['dp_segm']])

    # After the crop, the points of the mirrored person sit on the
    # mirrored parts of the mirrored image: a point on the painted left
    # upper arm now carries a right-upper-arm chart.
    crop = Compose([
        DensePoseTopdownAffine(input_size=(INPUT_W, INPUT_H)),
        PackDensePoseInputs()
    ])
    packed = crop(after)
    target = packed['data_samples'].gt_densepose
    segm = target.coarse_segm.numpy()
    check_points_on_parts(target, segm,
                          lambda c: DENSEPOSE_CHART_TO_COARSE[c])
    painted = label_of_color(packed['inputs'].permute(1, 2, 0).numpy())
    keep = interior(segm) & interior(painted)
    assert keep.sum() > 0.5 * segm.size
    swapped = np.array(MASK_LABEL_SYMMETRIES)[painted[keep]]
    assert (swapped == segm[keep]).mean() > 0.99


def test_flip_twice_is_identity(toy):
    dataset = build_dataset(
        toy['root'], filter_cfg=dict(densepose_only=True))
    flip = DensePoseRandomFlip(uv_symmetry='embedded', prob=1.0)
    before = load(dataset, 1)
    twice = flip(flip(copy.deepcopy(before)))
    for key in ('dp_I', 'dp_segm', 'img', 'keypoints', 'bbox'):
        np.testing.assert_array_equal(twice[key], before[key], err_msg=key)
    for key in ('dp_points', 'dp_U', 'dp_V', 'dp_segm_to_img',
                'bbox_center'):
        np.testing.assert_allclose(
            twice[key], before[key], atol=1e-5, err_msg=key)


def test_flip_after_crop_is_refused(toy):
    dataset = build_dataset(
        toy['root'],
        pipeline=crop_pipeline(),
        filter_cfg=dict(densepose_only=True))
    results = Compose(crop_pipeline()[:-1])(dataset.get_data_info(0))
    with pytest.raises(RuntimeError, match='before'):
        DensePoseRandomFlip(uv_symmetry='keep', prob=1.0)(results)


def test_dataset_pipeline_from_config(toy):
    # The registered names, as a config spells them.
    dataset = build_dataset(
        toy['root'],
        filter_cfg=dict(densepose_only=True),
        pipeline=[
            dict(type='mmpose.LoadImage'),
            dict(type='mmpose.GetBBoxCenterScale'),
            dict(type='DensePoseRandomFlip', uv_symmetry='embedded',
                 prob=0.5),
            dict(type='mmpose.RandomBBoxTransform'),
            dict(type='DensePoseTopdownAffine',
                 input_size=(INPUT_W, INPUT_H)),
            dict(type='PackDensePoseInputs'),
        ])
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        assert sample.gt_densepose.coarse_segm.shape == (INPUT_H, INPUT_W)
        assert sample.metainfo['input_size'] == (INPUT_W, INPUT_H)
        check_points_on_parts(sample.gt_densepose,
                              sample.gt_densepose.coarse_segm.numpy(),
                              lambda c: DENSEPOSE_CHART_TO_COARSE[c])
    assert osp.isfile(toy['ann_file'])
