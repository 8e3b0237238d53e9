"""Small file infrastructure shared by every package: hashing, reproducible
``.npz`` files, atomic writes and a locked build-into-temp-and-swap.

Each exists once, here; the body-model cache, the synthetic-data cache, the
checkpoint exporter, the HumanData writer and the study runner import them.
"""
import contextlib
import errno
import hashlib
import io
import json
import os
import os.path as osp
import shutil
import tempfile
import time
import zipfile
from typing import Any, Callable, Dict, Iterator, Optional

import numpy as np

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None

# A fixed zip timestamp: ``numpy.savez`` stamps the current time into the
# archive, so two writes of the same arrays would differ in their bytes.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def file_sha256(path: str, chunk_bytes: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk_bytes), b''):
            digest.update(block)
    return digest.hexdigest()


def save_npz(path: str,
             arrays: Dict[str, Any],
             compress: bool = True,
             allow_pickle: bool = False) -> None:
    """``numpy.savez[_compressed]`` with byte-reproducible output.

    The archive loads with ``numpy.load`` like one written by numpy.
    Non-array values become 0-d arrays as ``numpy.savez`` makes them; a
    value that needs pickling (a dict, as in mmhuman3d's HumanData) is
    refused unless ``allow_pickle`` is set. The file is written atomically.

    Args:
        path: output file.
        arrays: name -> array (or value ``numpy.asanyarray`` accepts).
        compress: deflate the members.
        allow_pickle: allow object arrays.
    """
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with atomic_write(path, 'wb') as f:
        with zipfile.ZipFile(f, mode='w', compression=method,
                             allowZip64=True) as zf:
            for key, value in arrays.items():
                buffer = io.BytesIO()
                np.lib.format.write_array(
                    buffer, np.asanyarray(value), allow_pickle=allow_pickle)
                info = zipfile.ZipInfo(key + '.npy', date_time=_ZIP_DATE)
                info.compress_type = method
                info.external_attr = 0o644 << 16
                zf.writestr(info, buffer.getvalue())


@contextlib.contextmanager
def atomic_write(path: str, mode: str = 'w') -> Iterator[Any]:
    """Open a temporary file beside ``path``; rename it over ``path`` when
    the block ends without an exception.

    A kill or a full disk never leaves a half-written ``path``: readers see
    the old file or the new one. The temporary file is removed on error.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f'.{osp.basename(path)}.', suffix='.tmp', dir=folder)
    os.close(fd)
    try:
        # Opened by name, so that ``f.name`` is the temporary path.
        with open(tmp, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates 0600 files; give the usual umask permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def write_json(path: str, obj: Any, **dump_kwargs: Any) -> None:
    """Write ``obj`` as JSON atomically (see :func:`atomic_write`)."""
    dump_kwargs.setdefault('indent', 2)
    dump_kwargs.setdefault('sort_keys', True)
    with atomic_write(path, 'w') as f:
        json.dump(obj, f, **dump_kwargs)


class LockTimeout(TimeoutError):
    """A file lock was not acquired in time."""


@contextlib.contextmanager
def file_lock(path: str,
              timeout: Optional[float] = None,
              what: str = '',
              notice_every: float = 30.0) -> Iterator[None]:
    """An exclusive lock between processes (POSIX ``flock`` on ``path``).

    Args:
        path: lock file; created when missing.
        timeout: seconds to wait before :class:`LockTimeout`; ``None`` waits
            for ever, saying every ``notice_every`` seconds that it waits.
        what: what the lock guards, for the messages.
        notice_every: seconds between "still waiting" messages.

    Raises:
        PermissionError / OSError: the lock file cannot be created, with
            its path (an unwritable folder would otherwise spin for ever).
        LockTimeout: ``timeout`` passed.
    """
    try:
        handle = open(path, 'a')
    except OSError as e:
        raise type(e)(
            e.errno, f'cannot create the lock file "{path}"'
            f'{" for " + what if what else ""}: {e.strerror}; the folder '
            'must be writable') from e
    with handle:
        if fcntl is None:  # pragma: no cover - not POSIX
            yield
            return
        start = last_notice = time.monotonic()
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES,
                                   errno.EWOULDBLOCK):
                    raise
            now = time.monotonic()
            if timeout is not None and now - start > timeout:
                raise LockTimeout(
                    f'another process holds "{path}"'
                    f'{" (" + what + ")" if what else ""} after '
                    f'{timeout:.0f} s of waiting')
            if now - last_notice >= notice_every:
                last_notice = now
                print(f'waiting for "{path}"'
                      f'{" (" + what + ")" if what else ""}, held by another '
                      f'process, {now - start:.0f} s so far', flush=True)
            time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def locked_build(final: str,
                 build: Callable[[str], None],
                 is_valid: Callable[[str], bool],
                 what: str = '',
                 lock_timeout: Optional[float] = None,
                 before_swap: Optional[Callable[[str], None]] = None,
                 force: bool = False) -> str:
    """Build a folder once across processes: into a temporary folder, under
    a file lock, then renamed into place.

    Several processes may ask at once (distributed ranks, parallel tests):
    one builds, the others wait on the lock and then find ``final`` valid.
    A folder that fails ``is_valid`` is moved aside and replaced; readers
    that opened files of the old folder keep reading the old inodes.

    Args:
        final: the folder to provide.
        build: ``build(tmp_dir)`` writes the content into ``tmp_dir``.
        is_valid: ``is_valid(folder)``: is the folder complete and current.
        what: what is built, for messages.
        lock_timeout: seconds to wait for the lock (``None``: for ever).
        before_swap: called with the existing ``final`` before it is moved
            aside (to refuse replacing a folder that is not ours).
        force: rebuild even a valid folder.

    Returns:
        ``final``.
    """
    if not force and is_valid(final):
        return final
    parent = osp.dirname(osp.abspath(final))
    name = osp.basename(osp.abspath(final))
    os.makedirs(parent, exist_ok=True)
    with file_lock(osp.join(parent, f'.{name}.lock'), lock_timeout, what):
        # Another process may have built it while this one waited.
        if not force and is_valid(final):
            return final
        if osp.lexists(final) and before_swap is not None:
            before_swap(final)
        tmp = tempfile.mkdtemp(prefix=f'.{name}.tmp-', dir=parent)
        try:
            build(tmp)
            os.chmod(tmp, 0o755)
            stale = None
            if osp.lexists(final):
                stale = tempfile.mkdtemp(prefix=f'.{name}.stale-', dir=parent)
                os.rename(final, osp.join(stale, 'old'))
            os.rename(tmp, final)
            if stale is not None:
                shutil.rmtree(stale, ignore_errors=True)
        finally:
            if osp.exists(tmp):
                shutil.rmtree(tmp, ignore_errors=True)
        if not is_valid(final):
            raise RuntimeError(f'{what or final}: "{final}" fails its check '
                               'right after being built')
    return final
