"""A full disk (or an unwritable folder) while an export is written: a
message naming the file and the cause, no half-written file, and an
existing output left as it was."""
import errno
import io
import os
import os.path as osp
import subprocess
import sys
import uuid

import pytest

from hpse_bench.checkpoint import export_backbone
from hpse_bench.utils import fileio

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'export_backbone.py')


class _FullDisk(io.FileIO):
    """A file on a disk with ``budget`` bytes left: writes past it fail
    with ENOSPC, as the kernel reports it."""
    budget = 0

    def __init__(self, name, mode='r', *args, **kwargs):
        super().__init__(name, mode.replace('b', '') or 'r')

    def write(self, data):
        data = memoryview(data).cast('B')
        if len(data) > type(self).budget:
            written = super().write(data[:type(self).budget])
            type(self).budget -= written
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        type(self).budget -= len(data)
        return super().write(data)


def test_full_disk_names_the_file_and_keeps_the_old_one(
        layout_cases, tmp_path, monkeypatch):
    out = tmp_path / 'backbone.pth'
    out.write_bytes(b'the previous export')
    _FullDisk.budget = 100_000
    monkeypatch.setattr(fileio, 'open', _FullDisk, raising=False)
    with pytest.raises(OSError) as err:
        export_backbone(layout_cases['torchvision'].path, str(out))
    assert err.value.errno == errno.ENOSPC
    assert str(out) in str(err.value)
    assert 'No space left on device' in str(err.value)
    assert out.read_bytes() == b'the previous export'
    assert sorted(os.listdir(tmp_path)) == ['backbone.pth']  # no temp file


def test_unwritable_folder(layout_cases, tmp_path):
    if os.geteuid() == 0:
        pytest.skip('root writes into read-only folders')
    folder = tmp_path / 'ro'
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OSError, match='could not be written'):
            export_backbone(layout_cases['torchvision'].path,
                            str(folder / 'b.pth'))
    finally:
        folder.chmod(0o700)


@pytest.fixture
def tiny_tmpfs(tmp_path):
    """A real 256 KiB tmpfs (needs the right to mount; skipped without)."""
    point = tmp_path / f'tmpfs-{uuid.uuid4().hex[:8]}'
    point.mkdir()
    proc = subprocess.run(
        ['mount', '-t', 'tmpfs', '-o', 'size=256k', 'tmpfs',
         str(point)],
        capture_output=True)
    if proc.returncode != 0:
        pytest.skip('cannot mount a tmpfs here: '
                    f'{proc.stderr.decode().strip()}')
    try:
        yield point
    finally:
        subprocess.run(['umount', str(point)], check=True)


def test_real_full_disk_through_the_command_line(layout_cases, tiny_tmpfs):
    out = str(tiny_tmpfs / 'backbone.pth')  # a ResNet-18 needs ~45 MB
    proc = subprocess.run(
        [sys.executable, TOOL, layout_cases['torchvision'].path, out],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO)
    assert proc.returncode == 1
    assert f'{out}: could not be written (No space left on device)' in \
        proc.stderr
    assert 'Traceback' not in proc.stderr
    assert os.listdir(tiny_tmpfs) == []
