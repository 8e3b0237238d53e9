"""CocoPersonCropDataset and the contrastive pre-training transforms, on real
JPEG and JSON files."""
import json
import math
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope

import hpse_bench
from hpse_bench.datasets import CocoPersonCropDataset
from hpse_bench.datasets.transforms import (FelzenszwalbSegments,
                                            KeypointMultiView,
                                            PackMultiViewInputs, PersonCrop)
from hpse_bench.datasets.transforms.felzenszwalb_segments import \
    felzenszwalb_segmentation
from hpse_bench.structures.conventions import COCO_17

hpse_bench.register_all_modules()

LEFT_WRIST = COCO_17.index('left_wrist')
RIGHT_WRIST = COCO_17.index('right_wrist')
WHITE, RED = (255, 255, 255), (0, 0, 255)  # BGR
IMG_W, IMG_H = 200, 160


@pytest.fixture(autouse=True)
def hpse_bench_scope():
    """Pipelines name hpse_bench's transforms without scope, whatever
    default scope an earlier test's Runner left behind."""
    with DefaultScope.overwrite_default_scope('hpse_bench'):
        yield


def person(ann_id, image_id, bbox, kpts, vis, iscrowd=0):
    kp = np.zeros((17, 3))
    kp[:, :2] = kpts
    kp[:, 2] = vis
    return dict(
        id=ann_id,
        image_id=image_id,
        category_id=1,
        iscrowd=iscrowd,
        bbox=list(bbox),
        keypoints=kp.ravel().tolist(),
        num_keypoints=int((np.asarray(vis) > 0).sum()))


@pytest.fixture(scope='module')
def coco_dir(tmp_path_factory):
    """Two images; person 1 has a white left wrist and a red right wrist."""
    root = tmp_path_factory.mktemp('coco')
    (root / 'images').mkdir()
    img = np.full((IMG_H, IMG_W, 3), 40, np.uint8)
    kpts = np.stack([np.linspace(70, 110, 17), np.linspace(40, 120, 17)], 1)
    kpts[LEFT_WRIST] = (80, 70)
    kpts[RIGHT_WRIST] = (104, 90)
    for j, color in ((LEFT_WRIST, WHITE), (RIGHT_WRIST, RED)):
        x, y = kpts[j].astype(int)
        img[y - 4:y + 5, x - 4:x + 5] = color
    cv2.imwrite(str(root / 'images' / 'a.jpg'), img)
    cv2.imwrite(str(root / 'images' / 'b.jpg'), img[::-1].copy())
    vis = np.full(17, 2)
    vis[0] = 0  # an unlabelled nose
    anns = [
        person(1, 1, (60, 30, 60, 100), kpts, vis),
        person(2, 2, (10, 10, 40, 30), kpts * 0 + 20, np.full(17, 1)),
        person(3, 2, (5, 5, 10, 10), kpts * 0, np.zeros(17)),
        person(4, 1, (0, 0, 50, 50), kpts, vis, iscrowd=1),
    ]
    coco = dict(
        images=[
            dict(id=1, file_name='a.jpg', width=IMG_W, height=IMG_H),
            dict(id=2, file_name='b.jpg', width=IMG_W, height=IMG_H)
        ],
        annotations=anns,
        categories=[dict(id=1, name='person')])
    with open(root / 'ann.json', 'w') as f:
        json.dump(coco, f)
    return dict(root=str(root), kpts=kpts, vis=vis)


def load(coco_dir, **kwargs):
    return CocoPersonCropDataset(
        ann_file='ann.json',
        data_root=coco_dir['root'],
        data_prefix=dict(img='images/'),
        **kwargs)


def test_dataset_reads_people(coco_dir):
    ds = load(coco_dir)
    assert len(ds) == 3  # the crowd annotation is skipped
    info = ds.get_data_info(0)
    assert info['img_path'] == osp.join(coco_dir['root'], 'images', 'a.jpg')
    assert np.allclose(info['bbox'], [60, 30, 120, 130])
    assert np.allclose(info['keypoints'], coco_dir['kpts'])
    assert info['keypoints_visible'].tolist() == [0.0] + [1.0] * 16
    assert info['flip_indices'][LEFT_WRIST] == RIGHT_WRIST
    assert len(load(coco_dir, min_keypoints=1)) == 2
    assert len(load(coco_dir, skip_crowd=False)) == 4


def test_dataset_errors_name_the_problem(coco_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.json'):
        CocoPersonCropDataset(ann_file=str(tmp_path / 'missing.json'))
    coco = json.load(open(osp.join(coco_dir['root'], 'ann.json')))
    coco['annotations'][1]['keypoints'] = [1, 2, 3]
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps(coco))
    with pytest.raises(ValueError, match='annotation id 2.*51'):
        CocoPersonCropDataset(ann_file=str(bad))
    bad.write_text(json.dumps(dict(annotations=[])))
    with pytest.raises(ValueError, match='no "images"'):
        CocoPersonCropDataset(ann_file=str(bad))
    bad.write_text('{not json')
    with pytest.raises(ValueError, match='not valid JSON'):
        CocoPersonCropDataset(ann_file=str(bad))


def loaded_person(coco_dir):
    ds = load(coco_dir)
    results = ds.get_data_info(0)
    results['img'] = cv2.imread(results['img_path'])
    return results


def color_at(img, point):
    x, y = np.round(point).astype(int)
    return img[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3).mean(0)


def is_color(pixel, bgr):
    return np.abs(pixel - np.array(bgr)).max() < 60


def test_person_crop_moves_keypoints_with_the_image(coco_dir):
    results = PersonCrop(input_size=(96, 128), padding=1.25)(
        loaded_person(coco_dir))
    assert results['img'].shape == (128, 96, 3)
    # Box 60x100 at (60, 30) padded to 75x125, widened to 3:4 -> 93.75x125,
    # centred on (90, 80); scale 96 / 93.75.
    s = 96 / 93.75
    expected = (coco_dir['kpts'] - [90, 80]) * s + [47.5, 63.5]
    assert np.allclose(results['keypoints'], expected, atol=1e-4)
    assert np.allclose(results['bbox_scale'], [93.75, 125])
    assert is_color(
        color_at(results['img'], results['keypoints'][LEFT_WRIST]), WHITE)
    assert is_color(
        color_at(results['img'], results['keypoints'][RIGHT_WRIST]), RED)
    assert results['keypoints_visible'][0] == 0


def expected_view_keypoints(kpts, w, h, rotation, translation, scale, flip,
                            flip_indices):
    """The view's geometry written out: flip, rotate+scale, translate."""
    pts = kpts.astype(np.float64).copy()
    c = np.array([(w - 1) / 2, (h - 1) / 2])
    if flip:
        pts[:, 0] = w - 1 - pts[:, 0]
    a = math.radians(rotation)
    rot = scale * np.array([[math.cos(a), math.sin(a)],
                            [-math.sin(a), math.cos(a)]])
    pts = (pts - c) @ rot.T + c + np.array(translation) * [w, h]
    if flip:
        pts = pts[flip_indices]
    return pts


@pytest.mark.parametrize('flip_prob', [0.0, 1.0])
def test_multi_view_records_each_view_transform(coco_dir, flip_prob):
    results = PersonCrop(input_size=(96, 128))(loaded_person(coco_dir))
    crop_kpts = results['keypoints'].copy()
    crop_vis = results['keypoints_visible'].copy()
    np.random.seed(3)
    views = KeypointMultiView(
        num_views=2,
        rotate_range=30,
        scale_range=(0.8, 1.2),
        translate_ratio=0.1,
        flip_prob=flip_prob)(results)
    assert len(views['img']) == 2
    assert views['keypoints'].shape == (2, 17, 2)
    assert views['view_flip'].tolist() == [bool(flip_prob)] * 2
    # Two views, two different transforms.
    assert views['view_rotation'][0] != views['view_rotation'][1]
    for v in range(2):
        expected = expected_view_keypoints(
            crop_kpts, 96, 128, views['view_rotation'][v],
            views['view_translation'][v], views['view_scale'][v],
            views['view_flip'][v], results['flip_indices'])
        assert np.allclose(views['keypoints'][v], expected, atol=1e-3)
        # The image moved with them: the left wrist of a mirrored view is
        # where the (red) right wrist was.
        img = views['img'][v]
        left = color_at(img, views['keypoints'][v][LEFT_WRIST])
        assert is_color(left, RED if flip_prob else WHITE)
        if flip_prob:
            assert np.array_equal(views['keypoints_visible'][v],
                                  crop_vis[results['flip_indices']])


def test_joints_leaving_the_view_become_invisible(coco_dir):
    results = PersonCrop(input_size=(96, 128))(loaded_person(coco_dir))
    crop_vis = results['keypoints_visible'].copy()
    np.random.seed(0)
    views = KeypointMultiView(
        num_views=1, scale_range=(3.0, 3.0))(results)  # zoom in 3x
    k, v = views['keypoints'][0], views['keypoints_visible'][0]
    inside = ((k[:, 0] >= -0.5) & (k[:, 0] < 95.5) & (k[:, 1] >= -0.5)
              & (k[:, 1] < 127.5))
    assert not inside.all()
    assert np.array_equal(v > 0, inside & (crop_vis > 0))


def test_felzenszwalb_finds_flat_regions():
    img = np.zeros((30, 40, 3), np.uint8)
    img[:, 15:] = (200, 30, 30)
    img[18:, 15:] = (30, 200, 30)
    rng = np.random.RandomState(0)
    noisy = np.clip(img + rng.randint(-5, 6, img.shape), 0, 255)
    labels = felzenszwalb_segmentation(noisy, scale=500, sigma=0.8,
                                       min_size=60)
    assert labels.shape == (30, 40) and labels.dtype == np.int32
    truth = (img[..., 0] > 100) * 1 + (img[..., 1] > 100) * 2
    # The segmentation equals the ground truth up to renaming.
    assert len(np.unique(labels)) == 3
    for t in range(3):
        assert len(np.unique(labels[truth == t])) == 1
    assert felzenszwalb_segmentation(noisy, scale=1e6).max() == 0
    with pytest.raises(ValueError):
        felzenszwalb_segmentation(np.zeros((0, 3)))


def test_segments_are_warped_with_each_view(coco_dir):
    results = PersonCrop(input_size=(96, 128))(loaded_person(coco_dir))
    results = FelzenszwalbSegments(max_side=64, max_segments=4)(results)
    crop_segments = results['segments'].copy()
    assert crop_segments.shape == (128, 96)
    assert crop_segments.max() <= 3 and crop_segments.min() >= -1
    np.random.seed(1)
    views = KeypointMultiView(
        num_views=2, rotate_range=20, translate_ratio=0.1)(results)
    assert views['segments'].shape == (2, 128, 96)
    for v in range(2):
        mat = views['view_warp_mat'][v]
        inv = cv2.invertAffineTransform(mat)
        seg = views['segments'][v]
        # Away from the border, every view pixel carries the segment of the
        # crop pixel it came from.
        ys, xs = np.mgrid[20:108:7, 20:76:7]
        src = np.stack([xs.ravel(), ys.ravel()], 1) @ inv[:, :2].T + inv[:, 2]
        src = np.round(src).astype(int)
        ok = ((src[:, 0] >= 0) & (src[:, 0] < 96) & (src[:, 1] >= 0)
              & (src[:, 1] < 128))
        got = seg[ys.ravel()[ok], xs.ravel()[ok]]
        want = crop_segments[src[ok, 1], src[ok, 0]]
        assert (got == want).mean() > 0.95


def test_full_pipeline_packs_views(coco_dir):
    view_pipeline = [
        dict(
            type='mmpretrain.RandomApply',
            transforms=[dict(type='mmpretrain.ColorJitter', brightness=0.4)],
            prob=1.0)
    ]
    ds = load(
        coco_dir,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='PersonCrop', input_size=(48, 64)),
            dict(type='FelzenszwalbSegments', max_side=32),
            dict(
                type='KeypointMultiView',
                num_views=2,
                rotate_range=10,
                flip_prob=0.5,
                view_pipeline=view_pipeline),
            dict(type='PackMultiViewInputs'),
        ])
    item = ds[0]
    assert len(item['inputs']) == 2
    assert item['inputs'][0].shape == (3, 64, 48)
    assert item['inputs'][0].dtype == torch.uint8
    sample = item['data_samples']
    assert sample.gt_keypoints2d.shape == (2, 17, 3)
    assert sample.gt_segments.shape == (2, 64, 48)
    assert sample.view_rotation.shape == (2, )
    assert sample.view_translation.shape == (2, 2)
    assert sample.img_path.endswith('a.jpg')


def test_pack_single_view_defaults_to_identity():
    packed = PackMultiViewInputs()(
        dict(
            img=np.zeros((8, 6, 3), np.uint8),
            keypoints=np.ones((17, 2)),
            keypoints_visible=np.ones(17)))
    assert len(packed['inputs']) == 1
    s = packed['data_samples']
    assert s.gt_keypoints2d.shape == (1, 17, 3)
    assert s.view_scale.tolist() == [1.0] and not s.view_flip.any()


def test_missing_bbox_is_reported():
    with pytest.raises(KeyError, match='bbox'):
        PersonCrop()(dict(img=np.zeros((4, 4, 3), np.uint8)))
