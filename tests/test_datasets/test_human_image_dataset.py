import logging
import os.path as osp

import numpy as np
import pytest
from human_data_samples import (IMG_H, IMG_W, make_human_data, save_human_data,
                                slots_of, write_images, write_split)
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

from hpse_bench.datasets import HumanImageDataset
from hpse_bench.datasets.human_image_dataset import fraction_subset_indices
from hpse_bench.structures.conventions import H36M_17, HUMAN_DATA_INDEX


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('hpse_bench')


def build(folder, name='train.npz', **kwargs):
    kwargs.setdefault('dataset_name', 'h36m')
    return HumanImageDataset(
        ann_file=name, data_root=folder, data_prefix=dict(img=''), **kwargs)


def test_parses_keys_and_shapes(tmp_path):
    folder = str(tmp_path)
    data = write_split(folder, 6, seed=1)
    ds = build(folder)
    assert len(ds) == 6 and ds.metainfo['dataset_name'] == 'h36m'
    coco, h36m = slots_of('coco_17'), slots_of('h36m_17')
    for i in range(6):
        info = ds.get_data_info(i)
        assert info['img_path'] == osp.join(folder, f'images/{i:03d}.jpg')
        assert info['sample_idx'] == i and info['row_idx'] == i
        # No image_id key: the image path groups people.
        assert info['image_id'] == f'images/{i:03d}.jpg'
        x, y, w, h, _ = data['bbox_xywh'][i]
        np.testing.assert_allclose(
            info['bbox_center'], [x + w / 2, y + h / 2], rtol=1e-6)
        np.testing.assert_allclose(
            info['bbox_scale'], [max(w, h)] * 2, rtol=1e-6)
        kp2d = data['keypoints2d'][i]
        np.testing.assert_allclose(info['keypoints2d'][:, :2], kp2d[coco, :2])
        # COCO visibility 2 counts as a label of confidence 1.
        np.testing.assert_array_equal(info['keypoints2d'][:, 2],
                                      np.minimum(kp2d[coco, 2], 1))
        np.testing.assert_allclose(info['keypoints2d_img'][:, :2],
                                   kp2d[h36m, :2])
        np.testing.assert_allclose(info['keypoints3d'],
                                   data['keypoints3d'][i][h36m])
        smpl = data['smpl']
        np.testing.assert_allclose(
            info['smpl_pose'],
            np.concatenate(
                [smpl['global_orient'][i], smpl['body_pose'][i].reshape(-1)]))
        np.testing.assert_allclose(info['smpl_betas'], smpl['betas'][i])
        assert info['has_smpl'] == 1.0 and info['has_keypoints3d'] == 1.0
        np.testing.assert_allclose(info['focal_length'], [200, 200])
        assert info['gender'] == ['m', 'f'][i % 2]
        assert info['keypoints2d'].shape == (17, 3)
        assert info['keypoints2d_img'].shape == (17, 3)
        assert info['keypoints3d'].shape == (17, 4)
        assert info['smpl_pose'].shape == (72, )
        assert info['smpl_betas'].shape == (10, )
        assert info['flip'] is False and info['rotation'] == 0.0
    # H36M-17 reads mmhuman3d's H36M-specific slots (pelvis_extra, ...).
    assert HUMAN_DATA_INDEX['pelvis_extra'] == h36m[H36M_17.index('pelvis')]


def test_compressed_keypoints_equal_uncompressed(tmp_path):
    # A mask as a 2D-only dataset has it: COCO slots plus a few H36M ones.
    mask_slots = np.unique(
        np.concatenate([slots_of('coco_17'),
                        slots_of('h36m_17')[:5]]))
    data = make_human_data(5, seed=2, mask_slots=mask_slots)
    paths = write_images(str(tmp_path), 5)
    save_human_data(str(tmp_path / 'full.npz'), data, paths)
    save_human_data(str(tmp_path / 'comp.npz'), data, paths, compressed=True)
    with np.load(tmp_path / 'comp.npz', allow_pickle=True) as f:
        assert f['keypoints2d'].shape == (5, len(mask_slots), 3)
    full = build(str(tmp_path), 'full.npz')
    comp = build(str(tmp_path), 'comp.npz')
    h36m_unmasked = ~np.isin(slots_of('h36m_17'), mask_slots)
    for i in range(5):
        a, b = full.get_data_info(i), comp.get_data_info(i)
        for key in ('keypoints2d', 'keypoints2d_img', 'keypoints3d'):
            np.testing.assert_array_equal(a[key], b[key])
        # Slots outside the mask are absent: zeros, confidence 0.
        assert (b['keypoints3d'][h36m_unmasked] == 0).all()
        assert (b['keypoints2d_img'][h36m_unmasked] == 0).all()
        assert b['keypoints3d'][~h36m_unmasked, 3].all()


def test_missing_keys_are_listed(tmp_path):
    data = make_human_data(3)
    paths = write_images(str(tmp_path), 3)
    del data['bbox_xywh']
    save_human_data(str(tmp_path / 'a.npz'), data, paths)
    with pytest.raises(KeyError) as e:
        build(str(tmp_path), 'a.npz')
    assert 'bbox_xywh' in str(e.value) and 'a.npz' in str(e.value)

    data = make_human_data(3)
    del data['smpl']['betas']
    save_human_data(str(tmp_path / 'b.npz'), data, paths)
    with pytest.raises(KeyError, match=r"smpl\.betas.*") as e:
        build(str(tmp_path), 'b.npz')
    assert 'b.npz' in str(e.value)

    # An evaluation set that needs 3D keypoints.
    data = make_human_data(3, with_keypoints3d=False)
    save_human_data(str(tmp_path / 'c.npz'), data, paths)
    with pytest.raises(KeyError, match='keypoints3d'):
        build(str(tmp_path), 'c.npz', required_keys=('keypoints3d', ))

    # Compressed keypoints cannot be read without their mask.
    data = make_human_data(3)
    save_human_data(str(tmp_path / 'd.npz'), data, paths, compressed=True)
    with np.load(tmp_path / 'd.npz', allow_pickle=True) as f:
        arrays = {k: f[k] for k in f.files if k != 'keypoints2d_mask'}
    np.savez(tmp_path / 'd.npz', **arrays)
    with pytest.raises(KeyError, match='keypoints2d_mask'):
        build(str(tmp_path), 'd.npz')


def test_malformed_shapes_are_errors(tmp_path):
    paths = write_images(str(tmp_path), 3)
    data = make_human_data(3)
    data['keypoints2d'] = data['keypoints2d'][:, :49]
    save_human_data(str(tmp_path / 'a.npz'), data, paths)
    with pytest.raises(ValueError, match='keypoints2d.*190'):
        build(str(tmp_path), 'a.npz')

    data = make_human_data(3)
    data['smpl']['body_pose'] = data['smpl']['body_pose'][:2]
    save_human_data(str(tmp_path / 'b.npz'), data, paths)
    with pytest.raises(ValueError, match='smpl.body_pose'):
        build(str(tmp_path), 'b.npz')

    data = make_human_data(3)
    save_human_data(
        str(tmp_path / 'c.npz'),
        data,
        paths,
        keypoints2d_convention='coco_wholebody')
    with pytest.raises(ValueError, match='coco_wholebody'):
        build(str(tmp_path), 'c.npz')


def test_missing_annotation_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothere.npz'):
        build(str(tmp_path), 'nothere.npz')
    # lazy_init defers the error to the first access.
    ds = build(str(tmp_path), 'nothere.npz', lazy_init=True)
    with pytest.raises(FileNotFoundError, match='nothere.npz'):
        len(ds)


class ListHandler(logging.Handler):

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_nan_labels_are_skipped_and_counted(tmp_path):
    paths = write_images(str(tmp_path), 8)
    data = make_human_data(8)
    h36m = slots_of('h36m_17')
    data['keypoints3d'][1, h36m[3], 0] = np.nan
    data['keypoints2d'][2, slots_of('coco_17')[0], 1] = np.inf
    data['smpl']['betas'][4, 2] = np.nan
    data['bbox_xywh'][5, 2] = 0  # empty box
    # NaN in a slot that is never read does not drop the person.
    data['keypoints2d'][6, 100, 0] = np.nan
    save_human_data(str(tmp_path / 'a.npz'), data, paths)
    logger = MMLogger.get_current_instance()
    handler = ListHandler()
    logger.addHandler(handler)
    try:
        ds = build(str(tmp_path), 'a.npz')
    finally:
        logger.removeHandler(handler)
    assert len(ds) == 4
    assert [ds.get_data_info(i)['row_idx'] for i in range(4)] == [0, 3, 6, 7]
    assert ds.num_skipped['non-finite keypoints3d'] == 1
    assert ds.num_skipped['non-finite keypoints2d'] == 1
    assert ds.num_skipped['non-finite smpl'] == 1
    assert ds.num_skipped['empty bbox'] == 1
    text = '\n'.join(handler.messages)
    assert 'skipped 4 of 8' in text and 'a.npz' in text
    for i in range(4):
        info = ds.get_data_info(i)
        for key in ('keypoints2d', 'keypoints2d_img', 'keypoints3d',
                    'smpl_pose', 'smpl_betas', 'bbox_scale'):
            assert np.isfinite(info[key]).all()


def test_person_without_labels_stays_with_zero_confidence(tmp_path):
    paths = write_images(str(tmp_path), 3)
    data = make_human_data(3, with_smpl=False)
    data['keypoints2d'][1, :, 2] = 0
    data['keypoints3d'][1, :, 3] = 0
    data['keypoints3d'][1, :, :3] = 0
    save_human_data(str(tmp_path / 'a.npz'), data, paths)
    ds = build(str(tmp_path), 'a.npz')
    assert len(ds) == 3
    info = ds.get_data_info(1)
    assert (info['keypoints2d'][:, 2] == 0).all()
    assert info['has_keypoints3d'] == 0 and info['has_smpl'] == 0
    assert (info['smpl_pose'] == 0).all() and (info['smpl_betas'] == 0).all()
    assert ds.get_data_info(0)['has_keypoints3d'] == 1

    # A 2D-only file (COCO): 3D labels are zeros, has_* = 0.
    data = make_human_data(3, with_smpl=False, with_keypoints3d=False)
    save_human_data(str(tmp_path / 'b.npz'), data, paths)
    info = build(str(tmp_path), 'b.npz').get_data_info(0)
    assert (info['keypoints3d'] == 0).all() and info['has_keypoints3d'] == 0


def test_has_smpl_and_image_id_keys(tmp_path):
    paths = write_images(str(tmp_path), 4)
    data = make_human_data(4)
    save_human_data(
        str(tmp_path / 'a.npz'),
        data,
        paths,
        has_smpl=np.array([1, 0, 1, 0]),
        image_id=np.array([7, 7, 9, 9]))
    ds = build(str(tmp_path), 'a.npz')
    infos = [ds.get_data_info(i) for i in range(4)]
    assert [i['has_smpl'] for i in infos] == [1, 0, 1, 0]
    assert (infos[1]['smpl_pose'] == 0).all()
    assert [i['image_id'] for i in infos] == [7, 7, 9, 9]


def test_fraction_subsets(tmp_path):
    n = 1000
    sizes = {}
    subsets = {}
    for fraction in (0.1, 0.3, 0.6, 1.0):
        idx = fraction_subset_indices(n, fraction, seed=3)
        subsets[fraction] = idx
        sizes[fraction] = len(idx)
        assert len(np.unique(idx)) == len(idx)
        assert (np.diff(idx) > 0).all() and idx.min() >= 0 and idx.max() < n
        # Identical on a second call: depends on (n, fraction, seed) only.
        np.testing.assert_array_equal(
            idx, fraction_subset_indices(n, fraction, seed=3))
    assert sizes == {0.1: 100, 0.3: 300, 0.6: 600, 1.0: 1000}
    # Nested: 10 % within 30 % within 60 %.
    assert set(subsets[0.1]) <= set(subsets[0.3]) <= set(subsets[0.6])
    # Spread over the whole file, not a block.
    assert subsets[0.1].min() < 100 and subsets[0.1].max() > 900
    other = fraction_subset_indices(n, 0.1, seed=4)
    assert len(set(other) & set(subsets[0.1])) < 50
    with pytest.raises(ValueError, match='fraction'):
        fraction_subset_indices(n, 0.0)

    # Through the dataset: two instances hold the same people.
    write_split(str(tmp_path), 40)
    a = build(str(tmp_path), fraction=0.3, fraction_seed=3)
    b = build(str(tmp_path), fraction=0.3, fraction_seed=3)
    rows = [a.get_data_info(i)['row_idx'] for i in range(len(a))]
    assert len(a) == 12
    assert rows == [b.get_data_info(i)['row_idx'] for i in range(len(b))]
    assert rows == fraction_subset_indices(40, 0.3, 3).tolist()


def test_fraction_is_taken_before_skipping(tmp_path):
    """A bad row shrinks the subset but never changes who else is in it."""
    paths = write_images(str(tmp_path), 40)
    data = make_human_data(40)
    save_human_data(str(tmp_path / 'good.npz'), data, paths)
    subset = fraction_subset_indices(40, 0.5, 0)
    data['bbox_xywh'][subset[0], :] = np.nan
    outside = np.setdiff1d(np.arange(40), subset)[0]
    data['keypoints3d'][outside] = np.nan  # not in the subset: not counted
    save_human_data(str(tmp_path / 'bad.npz'), data, paths)
    good = build(str(tmp_path), 'good.npz', fraction=0.5)
    bad = build(str(tmp_path), 'bad.npz', fraction=0.5)
    good_rows = [good.get_data_info(i)['row_idx'] for i in range(len(good))]
    bad_rows = [bad.get_data_info(i)['row_idx'] for i in range(len(bad))]
    assert bad_rows == good_rows[1:]
    assert bad.num_skipped['non-finite bbox_xywh'] == 1
    assert bad.num_skipped['non-finite keypoints3d'] == 0


def test_indices_and_subsets(tmp_path):
    write_split(str(tmp_path), 10)
    ds = build(str(tmp_path), indices=[2, 5, 7])
    assert [ds.get_data_info(i)['row_idx'] for i in range(3)] == [2, 5, 7]
    full = build(str(tmp_path))
    sub = full.get_subset(-3)
    assert len(sub) == 3 and len(full) == 10
    assert sub.get_data_info(0)['row_idx'] == 7
    full.get_subset_([1, 0])
    assert [full.get_data_info(i)['row_idx'] for i in range(2)] == [1, 0]


def test_missing_image_names_the_path(tmp_path):
    write_split(str(tmp_path), 3)
    (tmp_path / 'images' / '001.jpg').unlink()
    (tmp_path / 'images' / '002.jpg').write_bytes(b'not a jpeg')
    ds = build(
        str(tmp_path), pipeline=[dict(type='LoadHumanImage')], test_mode=True)
    img = ds[0]['img']
    assert img.shape == (IMG_H, IMG_W, 3) and img.dtype == np.uint8
    with pytest.raises(FileNotFoundError, match='images/001.jpg'):
        ds[1]
    with pytest.raises(ValueError, match='images/002.jpg'):
        ds[2]
