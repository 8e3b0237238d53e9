"""Faults around a synthetic data root: a regeneration under a reader, files
that the manifest does not account for, a lock file that cannot be made,
and the log of a generation."""
import json
import multiprocessing
import os
import os.path as osp
import queue
import subprocess
import sys

import numpy as np
import pytest
from mmengine.logging import MMLogger

from hpse_bench.synthetic import build as synthetic_build
from hpse_bench.synthetic import (check_synthetic_data, ensure_synthetic_data,
                                  split_files)
from hpse_bench.synthetic.layout import image_file

SMALL = dict(h36m=dict(train=3, test=1))


def read_manifest(root):
    with open(osp.join(root, 'MANIFEST.json')) as f:
        return json.load(f)


def write_manifest(root, manifest):
    with open(osp.join(root, 'MANIFEST.json'), 'w') as f:
        json.dump(manifest, f, indent=1)


@pytest.fixture
def root(tmp_path):
    return ensure_synthetic_data(
        str(tmp_path / 'synthetic'), num_images=SMALL, seed=1)


def test_labels_of_an_older_request_point_to_missing_files(root):
    """A reader holding labels of one request, after the root was
    regenerated for another, finds no file rather than other images."""
    files = split_files(root, 'h36m')['train']
    with np.load(files['human_data']) as data:
        old_paths = [osp.join(root, 'h36m', p) for p in data['image_path']]
    assert all(osp.isfile(p) for p in old_paths)
    ensure_synthetic_data(root, num_images=SMALL, seed=2)
    assert not any(osp.exists(p) for p in old_paths)
    with np.load(split_files(root, 'h36m')['train']['human_data']) as data:
        assert all(
            osp.isfile(osp.join(root, 'h36m', p)) for p in data['image_path'])
    # The same request again gives the same names and bytes.
    before = read_manifest(root)
    ensure_synthetic_data(root, num_images=SMALL, seed=2, force=True)
    assert read_manifest(root) == before


def test_an_unlisted_file_is_rejected_and_removed(root):
    digest = read_manifest(root)['request_digest']
    extra = osp.join(root, image_file('h36m', 'train', 7, digest))
    with open(osp.join(root, image_file('h36m', 'train', 0, digest)),
              'rb') as f, open(extra, 'wb') as g:
        g.write(f.read())
    assert 'holds files not in MANIFEST.json' in check_synthetic_data(root)
    ensure_synthetic_data(root, num_images=SMALL, seed=1)
    assert not osp.exists(extra)
    assert check_synthetic_data(root) is None


def test_a_corrupt_file_whose_entry_was_removed_is_rejected(root):
    before = read_manifest(root)
    name = image_file('h36m', 'train', 1, before['request_digest'])
    with open(osp.join(root, name), 'r+b') as f:
        f.seek(300)
        f.write(b'\x00' * 16)
    manifest = dict(before, files=dict(before['files']))
    del manifest['files'][name]
    write_manifest(root, manifest)
    reason = check_synthetic_data(root)
    assert 'does not list the files its request implies' in reason
    assert name in reason
    ensure_synthetic_data(root, num_images=SMALL, seed=1)
    assert read_manifest(root) == before


@pytest.mark.parametrize('edit', ['extra_entry', 'digest', 'count'])
def test_a_manifest_that_disagrees_with_its_request_is_rejected(root, edit):
    manifest = read_manifest(root)
    if edit == 'extra_entry':
        # Listed (with the file's true hash) but not implied by the request.
        name = 'h36m/images/train/extra.jpg'
        src = image_file('h36m', 'train', 0, manifest['request_digest'])
        with open(osp.join(root, src), 'rb') as f, open(
                osp.join(root, name), 'wb') as g:
            g.write(f.read())
        manifest['files'][name] = manifest['files'][src]
        expected = 'does not list the files its request implies; lists'
    elif edit == 'digest':
        manifest['request_digest'] = '0123abcd'
        expected = "records request_digest '0123abcd'"
    else:
        manifest['num_images']['h36m']['train'] = 2
        expected = 'request_digest'
    write_manifest(root, manifest)
    assert expected in check_synthetic_data(root)


def test_files_the_generator_does_not_write_are_never_deleted(root):
    notes = osp.join(root, 'h36m', 'notes.txt')
    with open(notes, 'w') as f:
        f.write('precious')
    assert 'notes.txt' in check_synthetic_data(root)
    with pytest.raises(FileExistsError,
                       match=r'must be regenerated .* h36m/notes.txt; move'):
        ensure_synthetic_data(root, num_images=SMALL, seed=1)
    with open(notes) as f:
        assert f.read() == 'precious'


def _ensure_in_child(root, results):
    try:
        ensure_synthetic_data(root, num_images=dict(pw3d=1))
        results.put('returned')
    except Exception as e:  # the parent checks the message
        results.put(f'{type(e).__name__}: {e}')


def ensure_with_timeout(root, seconds=120):
    """``ensure_synthetic_data`` in a child process; its error message, or
    'hung' when it neither returns nor fails in time."""
    ctx = multiprocessing.get_context('fork')
    results = ctx.Queue()
    proc = ctx.Process(target=_ensure_in_child, args=(root, results))
    proc.start()
    try:
        return results.get(timeout=seconds)
    except queue.Empty:
        return 'hung'
    finally:
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join()


def test_a_lock_file_that_cannot_be_created_fails_clearly(tmp_path):
    # A folder where the lock file must go: even root cannot open it as a
    # file, whatever the permission bits.
    root = tmp_path / 'data' / 'synthetic'
    (tmp_path / 'data' / '.synthetic.lock').mkdir(parents=True)
    message = ensure_with_timeout(str(root))
    assert message.startswith('IsADirectoryError: ')
    assert 'cannot create the lock file' in message
    assert '.synthetic.lock' in message and 'synthetic data' in message
    assert not root.exists()


def test_a_root_under_a_regular_file_fails_clearly(tmp_path):
    blocker = tmp_path / 'not_a_folder'
    blocker.write_text('a file')
    message = ensure_with_timeout(str(blocker / 'data' / 'synthetic'))
    assert message.startswith('NotADirectoryError: ')
    assert f'"{blocker}" is a file, not a folder' in message


def test_generation_logs_what_where_and_its_progress(tmp_path, monkeypatch):
    """Through MMEngine's current logger, as a training run's log shows it:
    a first line naming the root and the images, then progress with the
    count and the time left, then the end; reuse says so too."""
    log_file = str(tmp_path / 'run.log')
    MMLogger.get_instance('synthetic_log_test', log_file=log_file)
    monkeypatch.setattr(synthetic_build, 'PROGRESS_EVERY_S', 0.0)
    root = str(tmp_path / 'synthetic')
    ensure_synthetic_data(root, num_images=dict(h36m=dict(train=17, test=0)))
    ensure_synthetic_data(root, num_images=dict(h36m=dict(train=17, test=0)))
    with open(log_file) as f:
        lines = [line.split(' - ')[-1].strip() for line in f]
    start = [i for i, line in enumerate(lines)
             if line.startswith('generating 17 synthetic images into')]
    assert len(start) == 1
    assert f'into {root} (h36m 17 train; seed 0' in lines[start[0]]
    progress = [line for line in lines if line.startswith('synthetic data: ')
                and 'left' in line]
    # Groups of 8 images: 8 and 16 of 17 done (the last group ends it).
    assert [line.split(' images')[0] for line in progress] == [
        'synthetic data: 8/17', 'synthetic data: 16/17'
    ]
    assert all('images/s, about' in line for line in progress)
    assert any(line.startswith('synthetic data: 17 images made in')
               for line in lines)
    assert lines[-1].startswith(f'synthetic data in {root} match the request')


def test_no_progress_lines_before_the_interval(tmp_path, monkeypatch):
    log_file = str(tmp_path / 'run.log')
    MMLogger.get_instance('synthetic_log_test_quiet', log_file=log_file)
    monkeypatch.setattr(synthetic_build, 'PROGRESS_EVERY_S', 3600.0)
    ensure_synthetic_data(str(tmp_path / 's'), num_images=dict(pw3d=17))
    with open(log_file) as f:
        text = f.read()
    assert 'generating 17 synthetic images' in text
    assert 'synthetic data: 17 images made in' in text
    assert 'left' not in text


def test_the_training_entry_point_shows_the_generation(tmp_path):
    """``prepare_synthetic_data`` (what ``tools/train.py`` and
    ``tools/test.py`` call before a runner, and its logger, exist) prints
    the generation's lines on the console of a fresh process."""
    root = str(tmp_path / 'synthetic')
    code = (
        'from mmengine.config import Config\n'
        'import hpse_bench.synthetic.build as build\n'
        'from hpse_bench.apis.launch import prepare_synthetic_data\n'
        'build.PROGRESS_EVERY_S = 0.0\n'
        'prepare_synthetic_data(Config(dict(synthetic_data=dict(\n'
        f'    root={root!r}, num_images=dict(pw3d=9)))))\n')
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True,
                            text=True,
                            timeout=300,
                            env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout + result.stderr
    assert f'generating 9 synthetic images into {root} (pw3d 9 test' in out
    assert 'synthetic data: 8/9 images' in out and 'left' in out
    assert 'synthetic data: 9 images made in' in out
