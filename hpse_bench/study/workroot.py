"""The work root's own files: the study lock, stage markers, stale folders.

- ``<work_root>/.study.lock``: held (``flock``) by the one study process
  that may run on a work root; it records the holder's pid and command.
- ``<stage dir>/STAGE.json``: written when a stage starts: the fingerprint
  it runs with and the pid of its process. A stage killed mid-run resumes
  only when this fingerprint is the current one.
- ``<work_root>/.stale/<time>/<stage dir>``: where the folder of a stage
  whose fingerprint changed is moved before the stage runs again from
  scratch (kept for inspection; delete it freely).
"""
import contextlib
import json
import os
import os.path as osp
import shutil
import socket
import sys
import time
from typing import Iterator, Optional

from hpse_bench.utils.fileio import LockTimeout, file_lock, write_json

LOCK_FILE = '.study.lock'
MARKER = 'STAGE.json'
STALE_DIR = '.stale'


class StudyLocked(RuntimeError):
    """Another study process runs on the same work root."""


@contextlib.contextmanager
def study_lock(work_root: str) -> Iterator[None]:
    """Hold the work root's lock, or raise :class:`StudyLocked` at once,
    naming the process that holds it."""
    os.makedirs(work_root, exist_ok=True)
    path = osp.join(work_root, LOCK_FILE)
    try:
        with file_lock(path, timeout=0, what='study work root'):
            # The lock is on the inode; rewriting the content through
            # another handle keeps it.
            with open(path, 'w') as f:
                json.dump(
                    dict(
                        pid=os.getpid(),
                        host=socket.gethostname(),
                        started=time.strftime('%Y-%m-%dT%H:%M:%S'),
                        command=' '.join(sys.argv)), f)
            yield
    except LockTimeout:
        holder = {}
        with contextlib.suppress(OSError, ValueError):
            with open(path) as f:
                holder = json.load(f)
        raise StudyLocked(
            f'another study process (pid {holder.get("pid", "?")} on '
            f'{holder.get("host", "?")}, started {holder.get("started", "?")}'
            f': {holder.get("command", "?")}) is running on the work root '
            f'{work_root}; wait for it to end or stop it (kill '
            f'{holder.get("pid", "<pid>")}), then run again. Only one study '
            'process may run on a work root at a time.') from None


def read_marker(work_dir: str) -> Optional[dict]:
    path = osp.join(work_dir, MARKER)
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def write_marker(work_dir: str, **fields) -> None:
    write_json(osp.join(work_dir, MARKER), fields, default=str)


def has_content(work_dir: str) -> bool:
    """Whether a stage folder holds anything but the temporary file of a
    marker whose write a kill interrupted."""
    if not osp.isdir(work_dir):
        return False
    return any(not (name.startswith(f'.{MARKER}.') and name.endswith('.tmp'))
               for name in os.listdir(work_dir))


def move_aside(work_dir: str, work_root: str) -> str:
    """Move a stage folder under ``<work_root>/.stale/<time>/``; returns
    where it went."""
    rel = osp.relpath(osp.abspath(work_dir), osp.abspath(work_root))
    dest = osp.join(work_root, STALE_DIR, time.strftime('%Y%m%d-%H%M%S'),
                    rel)
    while osp.exists(dest):
        dest += '_'
    os.makedirs(osp.dirname(dest), exist_ok=True)
    shutil.move(work_dir, dest)
    return dest


def clear(work_dir: str) -> None:
    """Remove an unfinished stage folder of the current fingerprint that
    cannot resume (export, test, baseline, probe: they restart)."""
    if osp.isdir(work_dir):
        for name in os.listdir(work_dir):
            path = osp.join(work_dir, name)
            if osp.isdir(path) and not osp.islink(path):
                # A nested stage (export under pretrain) keeps its folder.
                if osp.isfile(osp.join(path, MARKER)):
                    continue
                shutil.rmtree(path)
            else:
                os.remove(path)
