"""Occlusion-Person annotations (AdaFuse's pickled per-view dicts) ->
HumanData (tools/data/convert_occlusion_person.py), read back by
HumanImageDataset."""
import importlib.util
import os
import os.path as osp
import pickle

import cv2
import numpy as np
import pytest

from hpse_bench.datasets import HumanImageDataset
from hpse_bench.datasets.converters import convert_occlusion_person

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# The dataset's joints (its loader's actual_joints) and, by hand, the H36M-17
# index (pelvis, l_hip, l_knee, l_ankle, r_hip, r_knee, r_ankle, spine,
# thorax, head, head_top, l_shoulder, l_elbow, l_wrist, r_shoulder,
# r_elbow, r_wrist) each one is written to.
OP_TO_H36M = {
    'root': 0,
    'rhip': 4,
    'rkne': 5,
    'rank': 6,
    'lhip': 1,
    'lkne': 2,
    'lank': 3,
    'belly': 7,
    'neck': 8,
    'lsho': 11,
    'lelb': 12,
    'lwri': 13,
    'rsho': 14,
    'relb': 15,
    'rwri': 16
}
OP_ORDER = [
    'root', 'rhip', 'rkne', 'rank', 'lhip', 'lkne', 'lank', 'belly', 'neck',
    'lsho', 'lelb', 'lwri', 'rsho', 'relb', 'rwri'
]
IMG_W, IMG_H = 96, 80


def _record(i, rng):
    j3d = rng.uniform(-600, 600, size=(15, 3)) + [0, 0, 4000]  # mm, camera
    f, c = 500.0 + i, np.array([IMG_W / 2, IMG_H / 2])
    j2d = j3d[:, :2] / j3d[:, 2:] * f + c
    in_view = np.ones((15, 3))
    in_view[3 + i] = 0  # one joint outside the view
    not_occluded = np.ones((15, 1))
    not_occluded[[1, 9 + i]] = 0
    return dict(
        image=f'scene_00/cam_0{i}/{i:06d}.jpg',
        joints_2d=j2d,
        joints_3d=j3d,
        joints_gt=j3d + 10.0,  # world frame, unused
        joints_vis=in_view,
        joints_vis_2d=not_occluded,
        center=np.array([48.0 + i, 40.0]),
        scale=np.array([0.3, 0.35]),
        camera=dict(R=np.eye(3),
                    T=np.zeros((3, 1)),
                    fx=np.array(f),
                    fy=np.array(f + 1),
                    cx=np.array(c[0]),
                    cy=np.array(c[1]),
                    k=np.zeros((3, 1)),
                    p=np.zeros((2, 1)),
                    name=f'cam_0{i}'),
        camera_id=i,
        image_id=i,
        video_id=f'scene_00_00{i}',
        subject=1,
        action=2,
        subaction=1,
        source='unrealcv')


@pytest.fixture(scope='module')
def release(tmp_path_factory):
    root = tmp_path_factory.mktemp('occlusion_person')
    rng = np.random.default_rng(0)
    records = [_record(i, rng) for i in range(4)]
    for rec in records:
        path = root / 'images' / rec['image']
        os.makedirs(path.parent, exist_ok=True)
        cv2.imwrite(str(path),
                    rng.integers(0, 255, (IMG_H, IMG_W, 3), dtype=np.uint8))
    with open(root / 'unrealcv_validation.pkl', 'wb') as f:
        pickle.dump(records, f)
    return str(root), records


def _read(npz, root):
    return HumanImageDataset(ann_file=npz,
                             dataset_name='occlusion-person',
                             data_prefix=dict(img=root + '/'),
                             required_keys=('keypoints3d', ),
                             test_mode=True)


def test_rows_hold_the_joints_in_h36m_slots(release, tmp_path):
    root, records = release
    out = str(tmp_path / 'occlusion_person_test.npz')
    info = convert_occlusion_person(osp.join(root, 'unrealcv_validation.pkl'),
                                    out)
    assert info['rows'] == 4
    ds = _read(out, root)
    assert len(ds) == 4
    for i, rec in enumerate(records):
        d = ds.get_data_info(i)
        assert d['img_path'] == osp.join(root, 'images', rec['image'])
        assert osp.isfile(d['img_path'])
        for k, name in enumerate(OP_ORDER):
            h = OP_TO_H36M[name]
            np.testing.assert_allclose(d['keypoints3d'][h, :3],
                                       rec['joints_3d'][k] / 1000.0,
                                       atol=1e-5)
            assert d['keypoints3d'][h, 3] == 1.0
            np.testing.assert_allclose(d['keypoints2d_img'][h, :2],
                                       rec['joints_2d'][k],
                                       atol=1e-3)
            assert d['keypoints2d_img'][h, 2] == rec['joints_vis'][k, 0]
        # Head and head top: not in the dataset.
        assert (d['keypoints3d'][[9, 10], 3] == 0).all()
        assert (d['keypoints2d_img'][[9, 10], 2] == 0).all()
        assert d['has_keypoints3d'] == 1.0
        # Box from center / scale (side = 200 * scale).
        side = rec['scale'] * 200
        np.testing.assert_allclose(d['bbox_xywh'], [
            rec['center'][0] - side[0] / 2, rec['center'][1] - side[1] / 2,
            side[0], side[1]
        ],
                                   atol=1e-4)
        np.testing.assert_allclose(d['focal_length'],
                                   [rec['camera']['fx'], rec['camera']['fy']])
    # Occlusion labels: in view but hidden, in H36M-17 order.
    with np.load(out, allow_pickle=True) as f:
        occluded = f['meta'].item()['occluded']
    expected = np.zeros((4, 17), bool)
    for i, rec in enumerate(records):
        for k, name in enumerate(OP_ORDER):
            expected[i,
                     OP_TO_H36M[name]] = (rec['joints_vis'][k, 0] > 0
                                          and rec['joints_vis_2d'][k, 0] == 0)
    np.testing.assert_array_equal(occluded, expected)
    assert info['occluded_fraction'] == pytest.approx(expected.sum() / sum(
        (r['joints_vis'][:, 0] > 0).sum() for r in records))


def test_every_nth_record_and_the_cli(release, tmp_path, capsys):
    root, records = release
    spec = importlib.util.spec_from_file_location(
        'convert_op_cli',
        osp.join(REPO, 'tools', 'data', 'convert_occlusion_person.py'))
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    out = str(tmp_path / 'every2.npz')
    assert cli.main(
        [osp.join(root, 'unrealcv_validation.pkl'), out, '--every', '2']) == 0
    assert '2 rows' in capsys.readouterr().out
    ds = _read(out, root)
    assert [
        osp.basename(ds.get_data_info(i)['img_path']) for i in range(len(ds))
    ] == ['000000.jpg', '000002.jpg']
    assert cli.main([str(tmp_path / 'missing.pkl'), out]) == 1
    assert 'annotation file not found' in capsys.readouterr().err


def test_malformed_annotations_are_named(release, tmp_path):
    _, records = release

    def convert(recs):
        path = tmp_path / 'bad.pkl'
        with open(path, 'wb') as f:
            pickle.dump(recs, f)
        convert_occlusion_person(str(path), str(tmp_path / 'bad.npz'))

    with pytest.raises(ValueError, match='expected a list'):
        convert(dict(db=records))
    missing = [dict(records[0]), dict(records[1])]
    del missing[1]['joints_3d']
    with pytest.raises(ValueError, match=r"record 1 .* lacks \['joints_3d'\]"):
        convert(missing)
    short = [dict(records[0], joints_3d=np.zeros((14, 3)))]
    with pytest.raises(ValueError, match=r'joints_3d of shape \(14, 3\)'):
        convert(short)
    nan = dict(records[0])
    nan['joints_2d'] = records[0]['joints_2d'].copy()
    nan['joints_2d'][2, 0] = np.nan
    with pytest.raises(ValueError, match='non-finite joints_2d'):
        convert([nan])
