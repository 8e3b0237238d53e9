"""Image paths read from data files stay inside their data root.

An annotation file names its images relative to the image folder the
config gives (``data_prefix['img']``). A path in a file that is absolute
(``/etc/...``, ``C:\\...``, ``\\\\host\\share``) or that climbs out with
``..`` would be opened as given, outside that folder; such a file is refused
with the row and the path. Only paths written in the config itself
(``data_root``, ``data_prefix``, ``ann_file``) may be absolute.
"""
import re
from typing import Optional, Sequence

import numpy as np

# The rule, in one place: a path is absolute (POSIX root, Windows drive or
# UNC/backslash root), or has a ".." component (either separator).
_ABSOLUTE = r'^(?:[/\\]|[A-Za-z]:)'
_PARENT = r'(?:^|[/\\])\.\.(?:[/\\]|$)'


def path_escape_reason(path: str) -> Optional[str]:
    """Why ``path`` would leave the folder it is relative to, or None.

    Both separators count (files written on Windows use ``\\``).
    """
    if re.match(_ABSOLUTE, path):
        return 'is absolute'
    if re.search(_PARENT, path):
        return 'climbs out of its folder with ".."'
    return None


def check_relative_path(path: str, where: str) -> str:
    """Return ``path`` if it stays inside its folder, else raise.

    Args:
        path: an image path read from a data file.
        where: the file and the entry, for the message.

    Raises:
        ValueError: naming ``where`` and the path.
    """
    reason = path_escape_reason(path)
    if reason is not None:
        raise ValueError(
            f'{where}: image path {path!r} {reason}; image paths in data '
            'files must be relative to the image folder of the config '
            '(data_prefix img), and only a path written in the config may '
            'be absolute')
    return path


def check_relative_paths(paths: Sequence[str], where: str) -> None:
    """:func:`check_relative_path` for every path, fast for millions.

    The paths are joined into one text and searched with ``str.find`` for
    the substrings any escaping path holds (``..``, a drive's ``:``, a
    leading separator); only the rows found are checked by the rule.

    Args:
        paths: the paths (a str array or list).
        where: the file, for the message (``row i`` is appended).
    """
    paths = np.asarray(paths, dtype=str).reshape(-1).tolist()
    # A leading newline puts every path, the first one too, after one.
    text = '\n' + '\n'.join(paths)
    found = []
    for needle in ('..', ':', '\n/', '\n\\'):
        pos = text.find(needle)
        while pos >= 0:
            found.append(pos + needle.startswith('\n'))
            pos = text.find(needle, pos + 1)
    if not found:
        return
    # Offset in ``text`` at which each row starts.
    starts = np.cumsum([1] + [len(p) + 1 for p in paths[:-1]])
    rows = np.unique(np.searchsorted(starts, found, side='right') - 1)
    for row in rows:
        check_relative_path(paths[row], f'{where}, row {row}')
