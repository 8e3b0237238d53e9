"""The synthetic files load with the real readers: pycocotools, xtcocotools,
mmpose's CocoDataset, and mmhuman3d's HumanData layout."""
import os.path as osp
import time

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import xtcocotools.coco
from pycocotools.coco import COCO

from hpse_bench.datasets.human_data import (human_data_keypoints,
                                            write_human_data)
from hpse_bench.structures.conventions import (COCO_17, COCO_SKELETON,
                                               NUM_HUMAN_DATA_KEYPOINTS,
                                               human_data_indices)
from hpse_bench.synthetic import split_files
from hpse_bench.utils.fileio import save_npz

# mmhuman3d's HumanData.SUPPORTED_KEYS (mmhuman3d/data/data_structures/
# human_data.py): type and shape (-1: any) of the keys written here.
SUPPORTED_KEYS = {
    'image_path': dict(type=list),
    'image_id': dict(type=list),
    'bbox_xywh': dict(type=np.ndarray, shape=(-1, 5)),
    'config': dict(type=str),
    'keypoints2d': dict(type=np.ndarray, shape=(-1, -1, 3)),
    'keypoints3d': dict(type=np.ndarray, shape=(-1, -1, 4)),
    'smpl': dict(type=dict),
    'meta': dict(type=dict),
    'keypoints2d_mask': dict(type=np.ndarray, shape=(-1, )),
    'keypoints3d_mask': dict(type=np.ndarray, shape=(-1, )),
    'keypoints2d_convention': dict(type=str),
    'keypoints3d_convention': dict(type=str),
}
ATTRIBUTES = ('__key_strict__', '__data_len__', '__keypoints_compressed__')


def load_like_human_data(path):
    """What ``HumanData.load`` does: 0-d arrays become their item, supported
    keys are cast to their type, the three attributes are popped."""
    out, attributes = {}, {}
    with np.load(path, allow_pickle=True) as npz:
        for key, value in dict(npz).items():
            if isinstance(value, np.ndarray) and value.ndim == 0:
                value = value.item()
            elif (key in SUPPORTED_KEYS
                  and type(value) is not SUPPORTED_KEYS[key]['type']):
                value = SUPPORTED_KEYS[key]['type'](value)
            if key in ATTRIBUTES:
                attributes[key] = value
            else:
                out[key] = value
    return out, attributes


def test_coco_json_loads_in_pycocotools_and_xtcocotools(synthetic_root):
    path = split_files(synthetic_root, 'coco')['train']['coco_json']
    for api in (COCO, xtcocotools.coco.COCO):
        coco = api(path)
        cat = coco.loadCats(coco.getCatIds(catNms=['person']))[0]
        assert cat['keypoints'] == COCO_17
        assert cat['skeleton'] == [[a + 1, b + 1] for a, b in COCO_SKELETON]
        assert len(coco.getImgIds()) == 8
        anns = coco.loadAnns(coco.getAnnIds(iscrowd=False))
        assert len(anns) >= 8
        for ann in anns:
            assert ann['iscrowd'] == 0 and ann['category_id'] == 1
            mask = coco.annToMask(ann)
            assert mask.sum() == ann['area']
            img = coco.loadImgs(ann['image_id'])[0]
            assert mask.shape == (img['height'], img['width'])
            n = len(ann['dp_x'])
            assert 0 < n <= 100
            for key in ('dp_y', 'dp_I', 'dp_U', 'dp_V'):
                assert len(ann[key]) == n
            assert 0 <= min(ann['dp_x']) and max(ann['dp_x']) < 256
            assert set(ann['dp_I']) <= set(float(i) for i in range(1, 25))
            assert 0 <= min(ann['dp_U'] + ann['dp_V'])
            assert max(ann['dp_U'] + ann['dp_V']) <= 1
            assert len(ann['dp_masks']) == 14
            present = [m for m in ann['dp_masks'] if m]
            assert present
            for m in present:
                assert mask_utils.decode(m).shape == (256, 256)
            assert osp.isfile(
                osp.join(synthetic_root, 'coco', 'images', 'train',
                         img['file_name']))


def test_coco_json_loads_in_mmpose_coco_dataset(synthetic_root):
    from mmpose.datasets import CocoDataset
    files = split_files(synthetic_root, 'coco')['val']
    coco = COCO(files['coco_json'])
    dataset = CocoDataset(
        data_root=osp.join(synthetic_root, 'coco'),
        ann_file='annotations/person_keypoints_val.json',
        data_prefix=dict(img='images/val/'),
        pipeline=[])
    anns = coco.loadAnns(coco.getAnnIds())
    assert len(dataset) == len(anns)
    by_id = {a['id']: a for a in anns}
    for i in range(len(dataset)):
        sample = dataset[i]
        ann = by_id[sample['id']]
        kp = np.asarray(ann['keypoints'], float).reshape(17, 3)
        np.testing.assert_allclose(sample['keypoints'][0], kp[:, :2],
                                   atol=1e-4)
        np.testing.assert_array_equal(sample['keypoints_visible'][0],
                                      np.minimum(1, kp[:, 2]))
        x, y, w, h = ann['bbox']
        img = coco.loadImgs(ann['image_id'])[0]
        # mmpose turns xywh into corners, clipped to the last pixel.
        limit = [img['width'] - 1, img['height'] - 1] * 2
        np.testing.assert_allclose(sample['bbox'][0],
                                   np.minimum([x, y, x + w, y + h], limit),
                                   atol=1e-3)
        assert osp.isfile(sample['img_path'])


@pytest.mark.parametrize('split,subset', [('coco', 'train'),
                                          ('h36m', 'train'),
                                          ('h36m', 'test'), ('pw3d', 'test'),
                                          ('mupots', 'test')])
def test_human_data_has_mmhuman3d_keys_and_shapes(synthetic_root, split,
                                                  subset):
    path = split_files(synthetic_root, split)[subset]['human_data']
    data, attributes = load_like_human_data(path)
    n = attributes['__data_len__']
    assert attributes['__key_strict__'] is False
    assert attributes['__keypoints_compressed__'] is False
    for key, spec in SUPPORTED_KEYS.items():
        if key not in data:
            continue
        value = data[key]
        assert isinstance(value, spec['type']), key
        for dim, expected in enumerate(spec.get('shape', ())):
            assert expected < 0 or value.shape[dim] == expected, key
    for key in ('image_path', 'image_id', 'bbox_xywh', 'keypoints2d'):
        assert len(data[key]) == n, key
    assert data['config'] == split
    assert data['keypoints2d'].shape == (n, NUM_HUMAN_DATA_KEYPOINTS, 3)
    assert data['keypoints2d_convention'] == 'human_data'
    np.testing.assert_array_equal(data['bbox_xywh'][:, 4], 1)
    for rel in data['image_path']:
        assert osp.isfile(osp.join(synthetic_root, split, rel))
    coco_slots = human_data_indices('coco_17')
    if split == 'coco':
        # 2D keypoints in the COCO slots (confidence = labelled) and SMPL
        # parameters standing in for EFT fits; no 3D keypoints, as in
        # mmhuman3d's eft_coco_all.npz.
        assert 'keypoints3d' not in data
        assert set(data['smpl']) >= {'body_pose', 'global_orient', 'betas'}
        assert data['smpl']['body_pose'].shape == (n, 23, 3)
        expected = np.zeros(NUM_HUMAN_DATA_KEYPOINTS, np.uint8)
        expected[coco_slots] = 1
        np.testing.assert_array_equal(data['keypoints2d_mask'], expected)
        return
    assert data['keypoints3d'].shape == (n, NUM_HUMAN_DATA_KEYPOINTS, 4)
    assert data['keypoints3d_convention'] == 'human_data'
    expected = np.zeros(NUM_HUMAN_DATA_KEYPOINTS, np.uint8)
    for name in ('smpl_24', 'coco_17', 'h36m_17'):
        expected[human_data_indices(name)] = 1
    np.testing.assert_array_equal(data['keypoints2d_mask'], expected)
    np.testing.assert_array_equal(data['keypoints3d_mask'], expected)
    np.testing.assert_array_equal(data['keypoints3d'][:, expected == 1, 3],
                                  1)
    np.testing.assert_array_equal(data['keypoints3d'][:, expected == 0], 0)
    smpl = data['smpl']
    assert smpl['global_orient'].shape == (n, 3)
    assert smpl['body_pose'].shape == (n, 23, 3)
    assert smpl['betas'].shape == (n, 10)
    assert smpl['transl'].shape == (n, 3)
    assert data['focal_length'].shape == (n, 2)
    assert data['principal_point'].shape == (n, 2)
    assert data['meta']['gender'] == ['neutral'] * n
    visibility = data['meta']['coco_visibility']
    assert visibility.shape == (n, 17) and visibility.max() <= 2


def test_human_data_keypoints_write_h36m_last():
    rng = np.random.default_rng(0)
    kp = {k: rng.random((2, j, 3)) for k, j in (('smpl_24', 24),
                                                ('coco_17', 17),
                                                ('h36m_17', 17))}
    conf = {k: np.ones(v.shape[:2]) for k, v in kp.items()}
    out, mask = human_data_keypoints(kp, conf, 3)
    assert out.shape == (2, NUM_HUMAN_DATA_KEYPOINTS, 4)
    # H36M-17 reads back exactly (it shares ten limb slots with SMPL-24).
    np.testing.assert_allclose(out[:, human_data_indices('h36m_17'), :3],
                               kp['h36m_17'], rtol=1e-6)
    shared = np.intersect1d(human_data_indices('smpl_24'),
                            human_data_indices('h36m_17'))
    assert len(shared) == 10
    assert mask.sum() == len(
        np.unique(np.concatenate([human_data_indices(k) for k in kp])))


def test_npz_is_byte_reproducible_and_loads_like_savez(tmp_path):
    arrays = dict(
        a=np.arange(12.0).reshape(3, 4),
        s='config',
        d=np.array({'x': np.ones(2)}, dtype=object),
        flag=False)
    with pytest.raises(ValueError, match='pickle'):
        save_npz(str(tmp_path / 'refused.npz'), arrays)
    assert not (tmp_path / 'refused.npz').exists()
    save_npz(str(tmp_path / 'one.npz'), arrays, allow_pickle=True)
    time.sleep(2.1)  # zip timestamps have a 2-second resolution
    save_npz(str(tmp_path / 'two.npz'), arrays, allow_pickle=True)
    assert (tmp_path / 'one.npz').read_bytes() == (tmp_path /
                                                   'two.npz').read_bytes()
    np.savez_compressed(str(tmp_path / 'ref.npz'), **arrays)
    with np.load(str(tmp_path / 'one.npz'), allow_pickle=True) as ours, \
            np.load(str(tmp_path / 'ref.npz'), allow_pickle=True) as ref:
        assert sorted(ours.files) == sorted(ref.files)
        np.testing.assert_array_equal(ours['a'], ref['a'])
        assert ours['s'].item() == 'config'
        np.testing.assert_array_equal(ours['d'].item()['x'], np.ones(2))
        assert ours['flag'].item() is False


def test_human_data_writer_rejects_bad_shapes(tmp_path):
    kp, mask = human_data_keypoints({'coco_17': np.zeros((2, 17, 2))},
                                    {'coco_17': np.ones((2, 17))}, 2)
    with pytest.raises(ValueError, match='keypoints2d'):
        write_human_data(
            str(tmp_path / 'x.npz'), ['a.jpg'], [1], np.zeros((1, 4)), kp,
            mask, 'coco')
    with pytest.raises(ValueError, match='keypoints3d'):
        write_human_data(
            str(tmp_path / 'x.npz'), ['a.jpg', 'b.jpg'], [1, 1],
            np.zeros((2, 4)), kp, mask, 'coco',
            keypoints3d=np.zeros((2, 17, 4)),
            keypoints3d_mask=mask)
