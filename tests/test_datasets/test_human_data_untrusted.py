"""HumanData and Occlusion-Person files are read without running code.

Each payload file, when unpickled by plain ``pickle``, creates a marker
file (``builtins.open``) or runs a shell command (``os.system``); the
readers must refuse the file with a message naming it, and the marker must
never appear. Files written by the HumanData writer and files in
mmhuman3d's layout (``numpy.savez`` of dicts as 0-d object arrays, pickle
protocols 2 and 3) still load.
"""
import collections
import io
import os
import os.path as osp
import pickle
import zipfile

import numpy as np
import pytest
from human_data_samples import make_human_data, save_human_data, write_images
from mmengine.registry import init_default_scope

from hpse_bench.datasets.converters import convert_occlusion_person
from hpse_bench.datasets.human_data import (HumanDataFile,
                                            human_data_keypoints,
                                            write_human_data)
from hpse_bench.registry import DATASETS


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('hpse_bench')


class OpenPayload:
    """Unpickles to ``open(marker, 'w')``: creates the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return open, (self.marker, 'w')


class ShellPayload:
    """Unpickles to ``os.system('touch marker')``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


PAYLOADS = [OpenPayload, ShellPayload]


def object_array(value):
    out = np.empty((), dtype=object)
    out[()] = value
    return out


def npy_bytes(array, protocol):
    """A ``.npy`` member holding the object array ``array`` pickled with
    ``protocol`` (numpy itself always writes protocol 3)."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, np.lib.format.header_data_from_array_1_0(array))
    pickle.dump(array, buf, protocol=protocol)
    return buf.getvalue()


def build(folder, ann_file, **kwargs):
    return DATASETS.build(
        dict(type='HumanImageDataset',
             ann_file=ann_file,
             dataset_name='h36m',
             data_root=str(folder),
             data_prefix=dict(img=''),
             **kwargs))


def human_data_split(folder, num=3, **kwargs):
    paths = write_images(str(folder), num)
    return make_human_data(num, **kwargs), paths


@pytest.mark.parametrize('payload', PAYLOADS)
@pytest.mark.parametrize('member', ['meta', 'smpl'])
def test_payload_in_an_object_member_is_refused(tmp_path, payload, member):
    marker = tmp_path / 'marker'
    data, paths = human_data_split(tmp_path)
    if member == 'meta':
        data['meta'] = dict(gender=data['meta']['gender'],
                            note=payload(str(marker)))
    else:
        data['smpl'] = dict(data['smpl'], betas=payload(str(marker)))
    path = save_human_data(str(tmp_path / 'evil.npz'), data, paths)
    with pytest.raises(ValueError) as info:
        build(tmp_path, 'evil.npz')
    message = str(info.value)
    assert 'evil.npz' in message and repr(member) in message
    assert 'refus' in message
    assert not marker.exists()
    # The reader alone refuses it too, whichever member is asked for.
    with HumanDataFile(path) as hd:
        np.testing.assert_array_equal(hd.get('bbox_xywh'), data['bbox_xywh'])
        with pytest.raises(ValueError, match='evil.npz'):
            hd.get(member)
    assert not marker.exists()


@pytest.mark.parametrize('payload', PAYLOADS)
def test_pickle_renamed_to_npz_is_refused(tmp_path, payload):
    marker = tmp_path / 'marker'
    path = tmp_path / 'train.npz'
    path.write_bytes(pickle.dumps({'bbox_xywh': payload(str(marker))}))
    with pytest.raises(ValueError) as info:
        build(tmp_path, 'train.npz')
    assert str(path) in str(info.value)
    assert 'pickle' in str(info.value)
    assert not marker.exists()


def test_npy_renamed_to_npz_is_refused(tmp_path):
    path = tmp_path / 'train.npz'
    with open(path, 'wb') as f:
        np.save(f, np.zeros((3, 5), np.float32))
    with pytest.raises(ValueError, match='not a .npz archive') as info:
        HumanDataFile(str(path))
    assert str(path) in str(info.value)


def test_payload_in_a_protocol_2_member_is_refused(tmp_path):
    """Pickles of protocol 2 name ``_codecs.encode`` for bytes; only its
    latin-1 use is allowed."""
    marker = tmp_path / 'marker'
    data, paths = human_data_split(tmp_path)
    path = str(tmp_path / 'old.npz')
    save_human_data(path, data, paths)
    with zipfile.ZipFile(path, 'a') as zf:
        zf.writestr('misc.npy',
                    npy_bytes(object_array(dict(note=OpenPayload(
                        str(marker)))), protocol=2))
    with HumanDataFile(path) as hd:
        with pytest.raises(ValueError, match="'misc'"):
            hd.get('misc')
    assert not marker.exists()


def test_files_of_the_writer_load(tmp_path):
    """smpl and meta written as pickled 0-d object arrays by the writer
    (mmhuman3d's HumanData.dump layout) come back equal."""
    n = 4
    rng = np.random.default_rng(3)
    paths = write_images(str(tmp_path), n)
    kp2d, mask2d = human_data_keypoints(
        {'h36m_17': rng.uniform(0, 100, (n, 17, 2))},
        {'h36m_17': np.ones((n, 17))}, 2)
    kp3d, mask3d = human_data_keypoints(
        {'h36m_17': rng.uniform(-0.8, 0.8, (n, 17, 3)) + [0, 0, 5]},
        {'h36m_17': np.ones((n, 17))}, 3)
    smpl = dict(global_orient=rng.normal(size=(n, 3)),
                body_pose=rng.normal(size=(n, 23, 3)),
                betas=rng.normal(size=(n, 10)),
                transl=rng.normal(size=(n, 3)))
    meta = dict(occluded=rng.random((n, 17)) > 0.5,
                gender=np.array(['m', 'f', 'n', 'm']),
                source='unrealcv_validation.pkl',
                every=5,
                scale=np.float64(0.5),
                nested=dict(ids=[1, 2, 3], pair=(1.5, 'a'), flags={1, 2}))
    path = str(tmp_path / 'written.npz')
    write_human_data(path, paths, np.arange(n), rng.uniform(10, 50, (n, 4)),
                     kp2d, mask2d, 'test', kp3d, mask3d, smpl,
                     np.full((n, 2), 500.0), np.full((n, 2), 50.0), meta)
    with HumanDataFile(path) as hd:
        got_smpl, got_meta = hd.get('smpl'), hd.get('meta')
        assert hd.get('config') == 'test'
    for key, value in smpl.items():
        np.testing.assert_allclose(got_smpl[key],
                                   np.asarray(value, np.float32).reshape(
                                       got_smpl[key].shape))
    np.testing.assert_array_equal(got_meta['occluded'], meta['occluded'])
    np.testing.assert_array_equal(got_meta['gender'], meta['gender'])
    assert got_meta['source'] == meta['source'] and got_meta['every'] == 5
    assert got_meta['scale'] == 0.5 and got_meta['nested'] == meta['nested']
    ds = build(tmp_path, 'written.npz')
    assert len(ds) == n
    info = ds.get_data_info(2)
    assert info['gender'] == 'n' and info['has_smpl'] == 1.0
    np.testing.assert_allclose(info['smpl_betas'], smpl['betas'][2], rtol=1e-6)


@pytest.mark.parametrize('protocol', [2, 3, 4, 5])
def test_mmhuman3d_layout_loads_for_every_pickle_protocol(tmp_path, protocol):
    """dicts (also OrderedDict) of arrays and numpy scalars, pickled with
    any protocol, read back unchanged."""
    data, paths = human_data_split(tmp_path, num=3)
    path = str(tmp_path / 'mmhuman3d.npz')
    save_human_data(path, data, paths)
    smpl = collections.OrderedDict(data['smpl'])
    misc = dict(fps=np.float32(25.0), ids=np.arange(3), names=['a', 'b'])
    # Replace the smpl member by the re-pickled one; add a misc member.
    rewritten = str(tmp_path / 'rewritten.npz')
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(rewritten, 'w') as dst:
        for item in src.infolist():
            if item.filename != 'smpl.npy':
                dst.writestr(item, src.read(item.filename))
        dst.writestr('smpl.npy', npy_bytes(object_array(smpl), protocol))
        dst.writestr('misc.npy', npy_bytes(object_array(misc), protocol))
    with HumanDataFile(rewritten) as hd:
        got = hd.get('smpl')
        got_misc = hd.get('misc')
    assert isinstance(got, collections.OrderedDict)
    for key, value in data['smpl'].items():
        np.testing.assert_array_equal(got[key], value)
    assert got_misc['fps'] == np.float32(25.0)
    assert got_misc['fps'].dtype == np.float32
    np.testing.assert_array_equal(got_misc['ids'], np.arange(3))
    assert got_misc['names'] == ['a', 'b']
    ds = build(tmp_path, 'rewritten.npz')
    np.testing.assert_allclose(ds.get_data_info(1)['smpl_betas'],
                               data['smpl']['betas'][1])


@pytest.mark.parametrize('payload', PAYLOADS)
def test_occlusion_person_payload_is_refused(tmp_path, payload):
    marker = tmp_path / 'marker'
    record = dict(image='a.jpg',
                  joints_2d=np.zeros((15, 2)),
                  joints_3d=np.zeros((15, 3)),
                  joints_vis=np.ones((15, 1)),
                  camera=dict(fx=payload(str(marker))))
    ann = tmp_path / 'unrealcv_validation.pkl'
    ann.write_bytes(pickle.dumps([record]))
    out = tmp_path / 'out.npz'
    with pytest.raises(ValueError) as info:
        convert_occlusion_person(str(ann), str(out))
    assert str(ann) in str(info.value) and 'refus' in str(info.value)
    assert not marker.exists() and not out.exists()


def test_occlusion_person_python2_pickle_loads(tmp_path):
    """The release's pickles may be Python 2 ones (protocol 2, arrays as
    latin-1 strings); they convert."""
    rng = np.random.default_rng(0)
    j3d = rng.uniform(-600, 600, (15, 3)) + [0, 0, 4000]
    record = dict(image='cam_00/000000.jpg',
                  joints_2d=j3d[:, :2] / j3d[:, 2:] * 500 + 48,
                  joints_3d=j3d,
                  joints_vis=np.ones((15, 3)),
                  center=np.array([48.0, 40.0]),
                  scale=np.array([0.3, 0.35]))
    ann = tmp_path / 'unrealcv_train.pkl'
    ann.write_bytes(pickle.dumps([record], protocol=2))
    out = str(tmp_path / 'out.npz')
    assert convert_occlusion_person(str(ann), out)['rows'] == 1
    with HumanDataFile(out) as hd:
        assert hd.get('meta')['source'] == 'unrealcv_train.pkl'
        assert osp.basename(hd.get('image_path')[0]) == '000000.jpg'
