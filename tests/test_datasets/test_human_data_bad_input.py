"""Bad HumanData input ends in a clear error naming the file (and the row
or sample), never in silent training on wrong labels."""
import os
import os.path as osp
import zipfile

import numpy as np
import pytest
from human_data_samples import (make_human_data, save_human_data, slots_of,
                                write_images, write_split)
from mmengine.registry import init_default_scope

from hpse_bench.registry import DATASETS


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('hpse_bench')


def build(folder, ann_file='train.npz', **kwargs):
    kwargs.setdefault('data_prefix', dict(img=''))
    return DATASETS.build(
        dict(type='HumanImageDataset',
             ann_file=ann_file,
             dataset_name='h36m',
             data_root=str(folder),
             **kwargs))


def member_data_span(path, member):
    """Byte range of ``member``'s stored data inside the zip file."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    with open(path, 'rb') as f:
        f.seek(info.header_offset + 26)
        name_len, extra_len = np.frombuffer(f.read(4), '<u2')
    start = info.header_offset + 30 + int(name_len) + int(extra_len)
    return start, start + info.compress_size


@pytest.mark.parametrize('compress', [False, True])
def test_corrupt_member_names_the_file_and_member(tmp_path, compress):
    data = make_human_data(4)
    paths = write_images(str(tmp_path), 4)
    out = dict(data, image_path=np.array(paths))
    path = str(tmp_path / 'train.npz')
    (np.savez_compressed if compress else np.savez)(path, **out)
    start, end = member_data_span(path, 'keypoints2d.npy')
    with open(path, 'r+b') as f:
        f.seek((start + end) // 2)
        byte = f.read(1)
        f.seek((start + end) // 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ValueError) as info:
        build(tmp_path)
    message = str(info.value)
    assert path in message and "'keypoints2d'" in message
    assert 'corrupt' in message


def test_truncated_file_names_the_file(tmp_path):
    write_split(str(tmp_path), 3)
    path = tmp_path / 'train.npz'
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(ValueError, match='train.npz'):
        build(tmp_path)


def test_file_with_zero_rows_is_an_error(tmp_path):
    data = make_human_data(2)
    empty = {
        k: (v[:0] if isinstance(v, np.ndarray) and v.ndim > 1 else v)
        for k, v in data.items()
    }
    empty['smpl'] = {k: v[:0] for k, v in data['smpl'].items()}
    empty['meta'] = {}
    save_human_data(str(tmp_path / 'train.npz'), empty, [])
    with pytest.raises(ValueError, match='0 rows') as info:
        build(tmp_path)
    assert str(tmp_path / 'train.npz') in str(info.value)


def test_every_row_skipped_is_an_error(tmp_path):
    data = make_human_data(3)
    data['bbox_xywh'][:, 2] = 0  # every box empty
    paths = write_images(str(tmp_path), 3)
    save_human_data(str(tmp_path / 'train.npz'), data, paths)
    with pytest.raises(ValueError, match='no person left') as info:
        build(tmp_path)
    assert 'empty bbox: 3' in str(info.value)


@pytest.mark.parametrize('bad', [
    '/etc/passwd', '../outside.jpg', 'images/../../outside.jpg',
    'C:\\data\\x.jpg', '\\\\host\\share\\x.jpg'
])
def test_image_path_leaving_the_data_root_is_refused(tmp_path, bad):
    data = make_human_data(3)
    paths = write_images(str(tmp_path), 3)
    paths[1] = bad
    save_human_data(str(tmp_path / 'train.npz'), data, paths)
    with pytest.raises(ValueError) as info:
        build(tmp_path)
    message = str(info.value)
    assert str(tmp_path / 'train.npz') in message
    assert 'row 1' in message and repr(bad) in message


def test_dots_inside_names_are_not_an_escape(tmp_path):
    data = make_human_data(2)
    paths = ['images/take..1.jpg', 'images/..hidden/x.jpg']
    save_human_data(str(tmp_path / 'train.npz'), data, paths)
    ds = build(tmp_path)
    assert [ds.get_data_info(i)['img_path'] for i in range(2)
            ] == [osp.join(str(tmp_path), p) for p in paths]


def test_image_folder_in_the_config_may_be_absolute(tmp_path):
    images = tmp_path / 'elsewhere'
    data = make_human_data(2)
    paths = write_images(str(images), 2)
    labels = tmp_path / 'labels'
    labels.mkdir()
    save_human_data(str(labels / 'train.npz'), data, paths)
    ds = build(labels, data_prefix=dict(img=str(images)))
    assert ds.get_data_info(1)['img_path'] == osp.join(str(images), paths[1])
    assert osp.isfile(ds.get_data_info(1)['img_path'])


@pytest.mark.parametrize('scale, cause', [(1000.0, 'millimetres'),
                                          (100.0, 'centimetres'),
                                          (None, 'corrupt')])
def test_keypoints3d_far_beyond_a_person_are_refused(tmp_path, scale, cause):
    data = make_human_data(4)
    kp3d = data['keypoints3d']
    if scale is None:
        kp3d[2, slots_of('h36m_17')[5], 0] = 1e30
    else:
        kp3d[..., :3] *= scale
    paths = write_images(str(tmp_path), 4)
    save_human_data(str(tmp_path / 'train.npz'), data, paths)
    with pytest.raises(ValueError) as info:
        build(tmp_path)
    message = str(info.value)
    assert str(tmp_path / 'train.npz') in message
    assert 'keypoints3d' in message and cause in message
    if scale is None:
        assert 'row 2' in message


def test_integer_keypoints3d_are_refused(tmp_path):
    data = make_human_data(3)
    data['keypoints3d'] = np.round(data['keypoints3d'] * 1000).astype(np.int32)
    data['keypoints3d'][..., 3] = 1
    paths = write_images(str(tmp_path), 3)
    save_human_data(str(tmp_path / 'train.npz'), data, paths)
    with pytest.raises(ValueError) as info:
        build(tmp_path)
    message = str(info.value)
    assert str(tmp_path / 'train.npz') in message
    assert 'int32' in message and 'millimetres' in message


def test_people_in_metres_at_any_distance_load(tmp_path):
    """A tall person (2.5 m, arms spread) far from the camera is fine: the
    check is on a person's extent, not on the distance."""
    data = make_human_data(2)
    kp3d = data['keypoints3d']
    kp3d[..., 0] = np.linspace(-1.2, 1.2, kp3d.shape[1])
    kp3d[..., 1] = np.linspace(-1.25, 1.25, kp3d.shape[1])
    kp3d[..., 2] = 80.0 + np.linspace(-0.3, 0.3, kp3d.shape[1])
    paths = write_images(str(tmp_path), 2)
    save_human_data(str(tmp_path / 'train.npz'), data, paths)
    assert len(build(tmp_path)) == 2


def test_missing_image_names_path_file_and_sample(tmp_path):
    write_split(str(tmp_path), 3)
    os.remove(tmp_path / 'images' / '001.jpg')
    ds = build(tmp_path, pipeline=[dict(type='LoadHumanImage')])
    assert ds[0]['img'].shape[:2] == (120, 160)
    with pytest.raises(FileNotFoundError) as info:
        ds[1]
    message = str(info.value)
    assert str(tmp_path / 'images' / '001.jpg') in message
    assert str(tmp_path / 'train.npz') in message
    assert 'sample 1' in message and 'row 1' in message
    assert 'regenerated or moved' in message
