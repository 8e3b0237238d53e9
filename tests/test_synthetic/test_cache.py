"""ensure_synthetic_data: reuse, repair, determinism, errors, concurrency."""
import json
import multiprocessing
import os
import os.path as osp

import pytest

from hpse_bench.synthetic import available_splits
from hpse_bench.synthetic import cache as synthetic_cache
from hpse_bench.synthetic import (check_synthetic_data, ensure_synthetic_data,
                                  resolve_num_images, split_files)
from hpse_bench.synthetic.layout import image_file

SMALL = dict(h36m=dict(train=2, test=1))


def manifest_files(root):
    with open(osp.join(root, 'MANIFEST.json')) as f:
        return json.load(f)['files']


def digest(root):
    with open(osp.join(root, 'MANIFEST.json')) as f:
        return json.load(f)['request_digest']


@pytest.fixture
def small_root(tmp_path):
    root = str(tmp_path / 'data' / 'synthetic')
    ensure_synthetic_data(root, num_images=SMALL, seed=1)
    return root


def test_a_valid_cache_is_reused(synthetic_root):
    with open(osp.join(synthetic_root, 'MANIFEST.json')) as f:
        manifest = json.load(f)
    stamp = os.stat(osp.join(synthetic_root, 'MANIFEST.json')).st_mtime_ns
    assert check_synthetic_data(synthetic_root) is None
    # The same request as the session's data: sizes, seed and options.
    assert ensure_synthetic_data(
        synthetic_root,
        num_images=manifest['num_images'],
        seed=manifest['seed'],
        image_size=tuple(manifest['options']['image_size']),
        multi_person_image_size=tuple(
            manifest['options']['multi_person_image_size'])) == synthetic_root
    assert os.stat(osp.join(synthetic_root,
                            'MANIFEST.json')).st_mtime_ns == stamp
    assert available_splits(synthetic_root) == [
        'coco', 'h36m', 'pw3d', 'mupots'
    ]
    files = split_files(synthetic_root, 'coco')
    assert set(files) == {'train', 'val'}
    assert files['val']['human_data'] is None  # COCO HumanData: train only
    assert osp.isfile(files['train']['human_data'])


@pytest.mark.parametrize('damage',
                         ['flip_byte', 'truncate', 'delete', 'manifest'])
def test_a_damaged_cache_is_regenerated(small_root, damage):
    before = manifest_files(small_root)
    jpeg = osp.join(small_root,
                    image_file('h36m', 'train', 1, digest(small_root)))
    npz = osp.join(small_root, 'h36m', 'h36m_train.npz')
    if damage == 'flip_byte':
        with open(jpeg, 'r+b') as f:
            f.seek(200)
            byte = f.read(1)
            f.seek(200)
            f.write(bytes([byte[0] ^ 0xFF]))
    elif damage == 'truncate':
        with open(npz, 'r+b') as f:
            f.truncate(os.path.getsize(npz) // 2)
    elif damage == 'delete':
        os.remove(jpeg)
    else:
        with open(osp.join(small_root, 'MANIFEST.json'), 'w') as f:
            f.write('{"files": ')
    reason = check_synthetic_data(small_root)
    assert reason is not None
    ensure_synthetic_data(small_root, num_images=SMALL, seed=1)
    assert check_synthetic_data(small_root) is None
    # Regenerated from the same seed: the very same bytes as before.
    assert manifest_files(small_root) == before
    leftovers = [
        n for n in os.listdir(osp.dirname(small_root))
        if n.startswith('.synthetic.') and not n.endswith('.lock')
    ]
    assert leftovers == []


def test_another_request_replaces_the_data(small_root):
    before, old_digest = manifest_files(small_root), digest(small_root)
    ensure_synthetic_data(small_root, num_images=SMALL, seed=2)
    after, new_digest = manifest_files(small_root), digest(small_root)
    assert new_digest != old_digest
    # Images are renamed with the new request's digest, label files keep
    # their names; every image differs.
    assert set(after) == {k.replace(old_digest, new_digest) for k in before}
    assert not {v
                for k, v in after.items() if k.endswith('.jpg')
                } & {v
                     for k, v in before.items() if k.endswith('.jpg')}
    reason = check_synthetic_data(small_root,
                                  synthetic_cache._request(SMALL, 1, {}))
    assert 'seed' in reason


def test_same_bytes_whatever_the_worker_count(tmp_path):
    request = dict(coco=dict(train=10, val=2), mupots=3)
    one = ensure_synthetic_data(
        str(tmp_path / 'one'), num_images=request, seed=5, workers=1)
    two = ensure_synthetic_data(
        str(tmp_path / 'two'), num_images=request, seed=5, workers=2)
    assert manifest_files(one) == manifest_files(two)
    # JPEG and part PNG per image, two JSON files, two HumanData files.
    assert len(manifest_files(one)) == 2 * (10 + 2 + 3) + 2 + 2


def test_unknown_splits_and_options_are_named(synthetic_root, tmp_path):
    with pytest.raises(
            KeyError, match='mpii; the splits are coco, h36m, pw3d, mupots'):
        resolve_num_images(dict(mpii=10))
    with pytest.raises(KeyError, match='"pw3d" has subsets test, not train'):
        resolve_num_images(dict(pw3d=dict(train=3)))
    with pytest.raises(TypeError, match='image_size'):
        ensure_synthetic_data(str(tmp_path / 'x'), num_images=1, image_sizes=3)
    small = str(tmp_path / 'only_h36m')
    ensure_synthetic_data(small, num_images=dict(h36m=1))
    assert available_splits(small) == ['h36m']
    with pytest.raises(
            KeyError, match='"mupots" is not in .*; available splits: h36m'):
        split_files(small, 'mupots')
    with pytest.raises(FileNotFoundError, match='make_synthetic'):
        available_splits(str(tmp_path / 'nothing'))
    assert resolve_num_images(dict(coco=10)) == {'coco': dict(train=10, val=2)}
    assert resolve_num_images(dict(h36m=0, pw3d=4)) == {'pw3d': dict(test=4)}


def _create(root, counter, barrier):
    """Child process: count generations, then race the other child."""
    original = synthetic_cache.generate_synthetic_data

    def counted(*args, **kwargs):
        with open(counter, 'a') as f:
            f.write(f'{os.getpid()}\n')
        return original(*args, **kwargs)

    synthetic_cache.generate_synthetic_data = counted
    barrier.wait()
    ensure_synthetic_data(root, num_images=SMALL, seed=3)


def test_two_processes_creating_at_once(tmp_path):
    root = str(tmp_path / 'shared' / 'synthetic')
    counter = str(tmp_path / 'generations.txt')
    ctx = multiprocessing.get_context('fork')
    barrier = ctx.Barrier(2)
    procs = [
        ctx.Process(target=_create, args=(root, counter, barrier))
        for _ in range(2)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
    assert [p.exitcode for p in procs] == [0, 0]
    with open(counter) as f:
        assert len(f.read().split()) == 1  # one made it, one waited
    assert check_synthetic_data(root) is None
    names = os.listdir(osp.dirname(root))
    assert [n for n in names if '.tmp-' in n or '.stale-' in n] == []


def test_foreign_folders_are_never_replaced(tmp_path):
    root = tmp_path / 'mine'
    root.mkdir()
    (root / 'thesis.tex').write_text('precious')
    with pytest.raises(FileExistsError, match='not a synthetic data folder'):
        ensure_synthetic_data(str(root), num_images=SMALL)
    assert (root / 'thesis.tex').read_text() == 'precious'


def test_force_regenerates_an_intact_copy(small_root):
    path = osp.join(small_root, 'MANIFEST.json')
    before, stamp = manifest_files(small_root), os.stat(path).st_ino
    ensure_synthetic_data(small_root, num_images=SMALL, seed=1, force=True)
    assert os.stat(path).st_ino != stamp
    assert manifest_files(small_root) == before
