"""``smpl_root`` resolution: checks, cache validation, concurrent builds."""
import json
import multiprocessing as mp
import os
import os.path as osp
import shutil

import pytest

from hpse_bench.body_models import get_smpl_root, paths, smpl_model_file
from hpse_bench.body_models.embedded import CHECKSUMS, EMBEDDED_FILES, METADATA
from hpse_bench.utils.fileio import file_sha256

EXPECTED = ('smpl/SMPL_NEUTRAL.pkl', 'J_regressor_h36m.npy',
            'J_regressor_extra.npy', 'smpl_mean_params.npz')


def _checksums_ok(root):
    with open(osp.join(root, CHECKSUMS)) as f:
        listed = dict(line.rstrip('\n').split('  ', 1)[::-1] for line in f)
    return all(listed[n] == file_sha256(osp.join(root, n))
               for n in EMBEDDED_FILES)


def test_missing_folder_names_every_file(tmp_path):
    folder = tmp_path / 'body_models'
    folder.mkdir()
    with pytest.raises(FileNotFoundError) as err:
        get_smpl_root(str(folder))
    msg = str(err.value)
    for name in EXPECTED:
        assert name in msg
    assert str(folder) in msg
    assert 'tools/convert_smpl.py' in msg
    # A folder that does not exist at all says the same.
    with pytest.raises(FileNotFoundError, match='convert_smpl'):
        get_smpl_root(str(tmp_path / 'nowhere'))


def test_partial_folder_lists_what_is_missing(tmp_path, embedded_root):
    shutil.copy(osp.join(embedded_root, 'J_regressor_h36m.npy'), tmp_path)
    with pytest.raises(FileNotFoundError) as err:
        get_smpl_root(str(tmp_path))
    missing = str(err.value).split('missing:')[1].split('.\n')[0]
    assert 'J_regressor_h36m.npy' not in missing
    for name in ('SMPL_NEUTRAL.pkl', 'J_regressor_extra.npy',
                 'smpl_mean_params.npz'):
        assert name in missing


@pytest.mark.parametrize('flat', [False, True])
def test_real_folder_layouts_accepted(tmp_path, embedded_root, flat):
    for name in EXPECTED[1:]:
        shutil.copy(osp.join(embedded_root, name), tmp_path)
    pkl = tmp_path / ('SMPL_NEUTRAL.pkl' if flat else 'smpl/SMPL_NEUTRAL.pkl')
    pkl.parent.mkdir(exist_ok=True)
    shutil.copy(osp.join(embedded_root, 'smpl', 'SMPL_NEUTRAL.pkl'), pkl)
    root = get_smpl_root(str(tmp_path))
    assert root == str(tmp_path)
    assert smpl_model_file(root) == str(pkl)
    with pytest.raises(FileNotFoundError, match='SMPL_MALE.pkl'):
        smpl_model_file(root, 'male')


def test_embedded_is_gender_neutral(embedded_root):
    with pytest.raises(FileNotFoundError, match='gender-neutral'):
        smpl_model_file(embedded_root, 'female')
    with pytest.raises(ValueError, match='gender'):
        smpl_model_file(embedded_root, 'other')


def test_embedded_cache_location(tmp_path, monkeypatch):
    monkeypatch.setenv('HPSE_BENCH_CACHE', str(tmp_path / 'cache'))
    root = get_smpl_root('embedded')
    assert root == str(tmp_path / 'cache' / 'body_models' / 'embedded-v1')
    assert _checksums_ok(root)
    # Only the folder and its lock file; no temporary folders left behind.
    assert sorted(os.listdir(
        osp.dirname(root))) == ['.embedded-v1.lock', 'embedded-v1']


@pytest.mark.parametrize('damage', ['truncate', 'delete', 'stale_builder'])
def test_corrupt_cache_is_rebuilt(tmp_path, monkeypatch, damage):
    monkeypatch.setenv('HPSE_BENCH_CACHE', str(tmp_path))
    root = get_smpl_root('embedded')
    pkl = osp.join(root, 'smpl', 'SMPL_NEUTRAL.pkl')
    good = file_sha256(pkl)
    if damage == 'truncate':
        with open(pkl, 'r+b') as f:
            f.truncate(1000)
    elif damage == 'delete':
        os.remove(osp.join(root, 'J_regressor_h36m.npy'))
    else:
        # Files consistent with their checksums but from another builder.
        meta_path = osp.join(root, METADATA)
        with open(meta_path) as f:
            meta = json.load(f)
        meta['builder_sha256'] = '0' * 64
        with open(meta_path, 'w') as f:
            json.dump(meta, f)
        with open(osp.join(root, CHECKSUMS), 'w') as f:
            for n in EMBEDDED_FILES:
                f.write(f'{file_sha256(osp.join(root, n))}  {n}\n')
        stale = file_sha256(meta_path)
    assert get_smpl_root('embedded') == root
    assert _checksums_ok(root)
    assert file_sha256(pkl) == good
    if damage == 'stale_builder':
        assert file_sha256(osp.join(root, METADATA)) != stale


def _resolve(cache, barrier, queue):
    os.environ['HPSE_BENCH_CACHE'] = cache
    build = paths.build_embedded_smpl

    def logged_build(out_dir):
        # One line per build, appended atomically by either process.
        with open(osp.join(cache, 'builds.log'), 'a') as f:
            f.write(f'{os.getpid()}\n')
        return build(out_dir)

    paths.build_embedded_smpl = logged_build
    barrier.wait()
    try:
        root = get_smpl_root('embedded')
        queue.put((root, file_sha256(osp.join(root, CHECKSUMS))))
    except Exception as e:  # reported to the parent
        queue.put(('error', repr(e)))


@pytest.mark.dist
def test_two_processes_resolve_at_once(tmp_path):
    ctx = mp.get_context('fork')
    barrier = ctx.Barrier(2)
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=_resolve, args=(str(tmp_path), barrier, queue))
        for _ in range(2)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert results[0][0] != 'error', results
    assert results[0] == results[1]
    root = results[0][0]
    assert _checksums_ok(root)
    assert sorted(os.listdir(
        osp.dirname(root))) == ['.embedded-v1.lock', 'embedded-v1']
    # The lock let exactly one of them build.
    with open(tmp_path / 'builds.log') as f:
        assert len(f.read().split()) == 1
