"""LSP: joints.mat -> COCO-style JSON (tools/data/convert_lsp.py), the
LspDataset read through mmpose's top-down pipeline, PCKh with the head
segment, and the LSP 2D pre-training config trained by MMEngine's Runner."""
import importlib.util
import json
import math
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import scipy.io
from mmengine.config import Config
from mmengine.registry import init_default_scope

from hpse_bench.datasets import LspDataset
from hpse_bench.datasets.converters import convert_lsp, read_lsp_joints

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# LSP's joint order as its README lists it, written out independently of
# conventions.LSP_14.
LSP_README_ORDER = [
    'right_ankle', 'right_knee', 'right_hip', 'left_hip', 'left_knee',
    'left_ankle', 'right_wrist', 'right_elbow', 'right_shoulder',
    'left_shoulder', 'left_elbow', 'left_wrist', 'neck', 'head_top'
]
LSP_FLIP = [5, 4, 3, 2, 1, 0, 11, 10, 9, 8, 7, 6, 12, 13]
LSP_SIZES = [(80, 100), (64, 96), (72, 110), (50, 120)]  # (w, h)
LSPET_SIZES = [(90, 90), (70, 100)]
SPLITS = dict(lsp=dict(train=(0, 3), test=(3, 4)), lspet=dict(train=(0, 2)))


def _lsp_joints(n, outside=()):
    """1-based (x, y) per image and joint; ``outside``: (image, joint)
    moved out of the image."""
    xy = np.zeros((n, 14, 2))
    for i in range(n):
        for j in range(14):
            xy[i, j] = (8 + 2 * j + i, 6 + 5 * j + i)
    for i, j in outside:
        xy[i, j, 0] = 500.0
    return xy


def _write_release(root, sizes, joints, digits):
    os.makedirs(osp.join(root, 'images'))
    rng = np.random.default_rng(0)
    for i, (w, h) in enumerate(sizes):
        img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
        cv2.imwrite(osp.join(root, 'images', f'im{i + 1:0{digits}d}.jpg'), img)
    scipy.io.savemat(osp.join(root, 'joints.mat'), dict(joints=joints))


@pytest.fixture(scope='module')
def releases(tmp_path_factory):
    base = tmp_path_factory.mktemp('lsp_releases')
    lsp_xy = _lsp_joints(4, outside=[(3, 13)])
    # LSP: 1 marks an occluded joint.
    lsp_flag = np.array([[(i + j) % 3 == 0 for j in range(14)]
                         for i in range(4)],
                        dtype=float)
    lsp = np.concatenate([lsp_xy, lsp_flag[..., None]], -1)  # (N, 14, 3)
    _write_release(str(base / 'lsp'), LSP_SIZES, lsp.transpose(2, 1, 0), 4)
    # LSP-extended: 1 marks a visible joint.
    ext_xy = _lsp_joints(2)
    ext_flag = np.array([[j % 2 == 0 for j in range(14)] for _ in range(2)],
                        dtype=float)
    ext = np.concatenate([ext_xy, ext_flag[..., None]], -1)
    _write_release(str(base / 'lspet'), LSPET_SIZES, ext.transpose(1, 2, 0), 5)
    return dict(base=str(base),
                lsp_xy=lsp_xy,
                lsp_occluded=lsp_flag > 0,
                ext_xy=ext_xy,
                ext_visible=ext_flag > 0)


@pytest.fixture(scope='module')
def converted(releases, tmp_path_factory):
    out = str(tmp_path_factory.mktemp('lsp_out'))
    written = convert_lsp(osp.join(releases['base'], 'lsp'),
                          out,
                          lspet_root=osp.join(releases['base'], 'lspet'),
                          splits=SPLITS)
    return out, written


def _expected_annotation(xy1, occluded, size):
    """COCO keypoints/bbox of one LSP person, by hand."""
    w, h = size
    kpts, inside_pts = [], []
    for (x, y), occ in zip(xy1, occluded):
        x, y = x - 1, y - 1  # MATLAB 1-based -> 0-based
        if 0 <= x <= w - 1 and 0 <= y <= h - 1:
            kpts += [x, y, 1 if occ else 2]
            inside_pts.append((x, y))
        else:
            kpts += [0, 0, 0]
    xs, ys = zip(*inside_pts)
    bbox = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
    return kpts, bbox


def test_read_lsp_joints_reads_both_layouts(releases):
    xy, visible, release = read_lsp_joints(
        osp.join(releases['base'], 'lsp', 'joints.mat'))
    assert release == 'lsp'
    np.testing.assert_allclose(xy, releases['lsp_xy'] - 1)
    np.testing.assert_array_equal(visible, ~releases['lsp_occluded'])
    xy, visible, release = read_lsp_joints(
        osp.join(releases['base'], 'lspet', 'joints.mat'))
    assert release == 'lspet'
    np.testing.assert_allclose(xy, releases['ext_xy'] - 1)
    np.testing.assert_array_equal(visible, releases['ext_visible'])
    # An explicit reading overrides the release's own meaning.
    _, visible, _ = read_lsp_joints(
        osp.join(releases['base'], 'lsp', 'joints.mat'), 'visible')
    np.testing.assert_array_equal(visible, releases['lsp_occluded'])


def test_converted_json_matches_hand_computed_annotations(releases, converted):
    out, written = converted
    assert written['train']['people'] == 5 and written['test']['people'] == 1
    with open(osp.join(out, 'annotations', 'lsp_train.json')) as f:
        train = json.load(f)
    with open(osp.join(out, 'annotations', 'lsp_test.json')) as f:
        test = json.load(f)
    assert train['categories'][0]['keypoints'] == LSP_README_ORDER
    names = [im['file_name'] for im in train['images']]
    assert names == [
        'lsp/im0001.jpg', 'lsp/im0002.jpg', 'lsp/im0003.jpg',
        'lspet/im00001.jpg', 'lspet/im00002.jpg'
    ]
    assert [im['file_name'] for im in test['images']] == ['lsp/im0004.jpg']
    assert [(im['width'], im['height']) for im in train['images']] == \
        LSP_SIZES[:3] + LSPET_SIZES

    expected = [(releases['lsp_xy'][i], releases['lsp_occluded'][i],
                 LSP_SIZES[i]) for i in range(3)]
    expected += [(releases['ext_xy'][i], ~releases['ext_visible'][i],
                  LSPET_SIZES[i]) for i in range(2)]
    for ann, (xy1, occ, size) in zip(train['annotations'], expected):
        kpts, bbox = _expected_annotation(xy1, occ, size)
        np.testing.assert_allclose(ann['keypoints'], kpts, atol=0.01)
        np.testing.assert_allclose(ann['bbox'], bbox, atol=0.01)
        assert ann['num_keypoints'] == 14
        assert ann['image_id'] == train['images'][train['annotations'].index(
            ann)]['id']
    # The test person's head top lies outside its image: not labelled.
    ann = test['annotations'][0]
    kpts, bbox = _expected_annotation(releases['lsp_xy'][3],
                                      releases['lsp_occluded'][3],
                                      LSP_SIZES[3])
    assert ann['keypoints'][13 * 3:] == [0, 0, 0]
    np.testing.assert_allclose(ann['keypoints'], kpts, atol=0.01)
    np.testing.assert_allclose(ann['bbox'], bbox, atol=0.01)
    assert ann['num_keypoints'] == 13
    # The image folders are linked where the JSON points.
    assert osp.isfile(osp.join(out, 'images', 'lsp', 'im0004.jpg'))
    assert osp.isfile(osp.join(out, 'images', 'lspet', 'im00002.jpg'))


def _dataset(out, split, pipeline):
    init_default_scope('mmpose')
    return LspDataset(ann_file=f'annotations/lsp_{split}.json',
                      data_root=out,
                      data_prefix=dict(img='images/'),
                      test_mode=split == 'test',
                      pipeline=pipeline)


PIPELINE = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=(64, 64)),
    dict(type='PackPoseInputs'),
]


def test_lsp_dataset_metainfo_and_head_size(releases, converted):
    out, _ = converted
    ds = _dataset(out, 'train', PIPELINE)
    assert len(ds) == 5
    meta = ds.metainfo
    assert [meta['keypoint_id2name'][i] for i in range(14)] == \
        LSP_README_ORDER
    assert meta['flip_indices'] == LSP_FLIP
    assert sorted(meta['lower_body_ids']) == [0, 1, 2, 3, 4, 5]
    for i in range(5):
        info = ds.get_data_info(i)
        xy1 = releases['lsp_xy'][i] if i < 3 else releases['ext_xy'][i - 3]
        head = math.dist(xy1[12], xy1[13])  # neck to head top
        assert info['head_size'].shape == (1, 1)
        assert info['head_size'][0, 0] == pytest.approx(head, abs=0.02)
    packed = ds[0]
    assert packed['inputs'].shape == (3, 64, 64)
    assert float(packed['data_samples'].gt_instances.head_size[0, 0]) == \
        pytest.approx(math.dist(releases['lsp_xy'][0][12],
                                releases['lsp_xy'][0][13]), abs=0.02)
    # Without a labelled head top the person has no head size (PCKh
    # leaves it out).
    test = _dataset(out, 'test', PIPELINE)
    assert test.get_data_info(0)['head_size'][0, 0] == 0.0


def test_pckh_uses_the_head_segment(releases, converted):
    """mmpose's PCKAccuracy on LspDataset samples against a hand count."""
    from mmpose.evaluation.metrics import PCKAccuracy
    out, _ = converted
    ds = _dataset(out, 'train', PIPELINE)
    metric = PCKAccuracy(thr=0.5, norm_item='head')
    metric.dataset_meta = ds.metainfo
    rng = np.random.default_rng(1)
    correct = total = 0
    samples = []
    for i in range(len(ds)):
        sample = ds[i]['data_samples']
        gt = np.asarray(sample.gt_instances.keypoints)[0]
        head = float(sample.gt_instances.head_size[0, 0])
        # Errors of 0.2 .. 0.8 head sizes in random directions.
        scale = rng.uniform(0.2, 0.8, size=14)
        angle = rng.uniform(0, 2 * np.pi, size=14)
        offset = np.stack([np.cos(angle), np.sin(angle)],
                          -1) * (scale * head)[:, None]
        pred = gt + offset
        visible = np.asarray(sample.gt_instances.keypoints_visible)[0] > 0
        correct += int(((scale < 0.5) & visible).sum())
        total += int(visible.sum())
        d = sample.to_dict()
        d['pred_instances'] = dict(keypoints=pred[None])
        d['gt_instances'] = dict(keypoints=gt[None],
                                 keypoints_visible=np.asarray(
                                     sample.gt_instances.keypoints_visible),
                                 head_size=np.asarray(
                                     sample.gt_instances.head_size),
                                 bboxes=np.asarray(sample.gt_instances.bboxes))
        samples.append(d)
    metric.process([], samples)
    result = metric.evaluate(len(samples))
    assert result['PCKh'] == pytest.approx(correct / total)
    assert 0 < correct < total


def test_wrong_keypoint_count_is_refused(tmp_path, converted):
    out, _ = converted
    with open(osp.join(out, 'annotations', 'lsp_train.json')) as f:
        data = json.load(f)
    data['annotations'][0]['keypoints'] = [1.0, 2.0, 2] * 17
    os.makedirs(tmp_path / 'annotations')
    with open(tmp_path / 'annotations' / 'lsp_train.json', 'w') as f:
        json.dump(data, f)
    with pytest.raises(ValueError, match='has 17 keypoints; LSP has 14'):
        _dataset(str(tmp_path), 'train', PIPELINE)


def test_bad_inputs_fail_clearly(tmp_path, releases):
    with pytest.raises(FileNotFoundError, match='LSP joints file not found'):
        read_lsp_joints(str(tmp_path / 'missing.mat'))
    scipy.io.savemat(str(tmp_path / 'other.mat'), dict(points=np.zeros(3)))
    with pytest.raises(ValueError, match=r'no "joints" array \(found'):
        read_lsp_joints(str(tmp_path / 'other.mat'))
    scipy.io.savemat(str(tmp_path / 'shape.mat'),
                     dict(joints=np.zeros((2, 14, 5))))
    with pytest.raises(ValueError, match=r'joints has shape \(2, 14, 5\)'):
        read_lsp_joints(str(tmp_path / 'shape.mat'))
    bad = np.zeros((3, 14, 2))
    bad[0, 4, 1] = np.nan
    scipy.io.savemat(str(tmp_path / 'nan.mat'), dict(joints=bad))
    with pytest.raises(ValueError, match=r'non-finite .* images \[2\]'):
        read_lsp_joints(str(tmp_path / 'nan.mat'))
    # A release with an image missing: named.
    broken = tmp_path / 'broken'
    os.makedirs(broken / 'images')
    scipy.io.savemat(str(broken / 'joints.mat'),
                     dict(joints=np.ones((3, 14, 1)) * 5))
    with pytest.raises(FileNotFoundError, match=r'im0001\.jpg'):
        convert_lsp(str(broken), str(tmp_path / 'out'))
    # LSP-extended passed as LSP.
    with pytest.raises(ValueError, match='has the lspet layout'):
        convert_lsp(osp.join(releases['base'], 'lspet'), str(tmp_path / 'o'))


def test_cli_reports_and_exits(tmp_path, releases, capsys):
    spec = importlib.util.spec_from_file_location(
        'convert_lsp_cli', osp.join(REPO, 'tools', 'data', 'convert_lsp.py'))
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    assert cli.main(
        ['--lsp',
         str(tmp_path / 'nowhere'), '--out',
         str(tmp_path / 'out')]) == 1
    assert 'LSP joints file not found' in capsys.readouterr().err
    assert cli.main([
        '--lsp',
        osp.join(releases['base'], 'lsp'), '--out',
        str(tmp_path / 'out')
    ]) == 0
    # The release's own split: its 4 images all lie in the training range.
    assert 'train: 4 people in 4 images' in capsys.readouterr().out


def test_lsp_config_trains_and_reports_pckh(converted, tmp_path):
    """The LSP pre-training config (ResNet-18) with MMEngine's Runner: two
    iterations, then PCKh / PCK validation on the converted test split."""
    from mmengine.runner import Runner
    out, _ = converted
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'pretrain',
                 'pose2d-simplebaseline_r18_4xb64-140e_lsp-256x256.py'))
    assert cfg.train_dataloader.dataset.type == 'hpse_bench.LspDataset'
    assert cfg.model.head.out_channels == 14
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].dataset.data_root = out + '/'
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
        cfg[loader].batch_size = 2
    cfg.train_dataloader.dataset.indices = 4
    cfg.test_dataloader = cfg.val_dataloader
    cfg.model.head.deconv_out_channels = (32, 32, 32)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.work_dir = str(tmp_path)
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    pckh = runner.message_hub.get_scalar('val/PCKh').current()
    pck = runner.message_hub.get_scalar('val/PCK').current()
    assert 0.0 <= pckh <= 1.0 and 0.0 <= pck <= 1.0
