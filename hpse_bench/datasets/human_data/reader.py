"""Reading mmhuman3d HumanData ``.npz`` files.

A HumanData file (mmhuman3d ``HumanData.dump``) is an ``np.savez`` archive:
per-person arrays with one row per person (``bbox_xywh`` ``(N, 5)``,
``keypoints2d`` ``(N, K, 3)``, ``keypoints3d`` ``(N, K, 4)``, ...), dicts
and strings stored as 0-d object arrays (``smpl``, ``meta``, ``config``),
and the attributes ``__key_strict__``, ``__temporal_len__`` /
``__data_len__`` and ``__keypoints_compressed__``. Keypoints use the
190-slot ``'human_data'`` layout; ``keypoints2d_mask`` / ``keypoints3d_mask``
``(190,)`` say which slots the source dataset annotates. A file saved with
``__keypoints_compressed__`` True stores only the masked slots, in slot
order, so ``keypoints2d`` is ``(N, mask.sum(), 3)``.

Files are untrusted: arrays are read with ``allow_pickle=False``, and the
pickled object members (the ``smpl`` and ``meta`` dicts) through
:mod:`..safe_pickle`'s allow-list, so a file never runs code.
"""
import os.path as osp
import pickle
import zipfile
import zlib
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from hpse_bench.structures.conventions import NUM_HUMAN_DATA_KEYPOINTS
from hpse_bench.utils.safe_pickle import UNPICKLING_ERRORS, safe_pickle_load

#: Largest plausible extent of one person's keypoints3d, in metres (the
#: diagonal of the box around the labelled joints). A person spans at most
#: about 3-4 m (a tall person jumping with arms raised and spread); 10 m
#: leaves room for noisy fits, yet a person in centimetres (a 1 m child is
#: 100) or millimetres is far above it.
MAX_PERSON_EXTENT_M = 10.0
# Typical extents (units of the file) by which a too-large one is explained.
_CENTIMETRE_EXTENT_MAX = 400.0
_MILLIMETRE_EXTENT_MAX = 4000.0

# What a damaged zip member raises while being read (e.g. ``BadZipFile:
# Bad CRC-32 for file 'keypoints2d.npy'``, ``zlib.error``).
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError)
_ZIP_MAGIC = (b'PK\x03\x04', b'PK\x05\x06')
_NPY_MAGIC = b'\x93NUMPY'


def _check_archive(path: str) -> None:
    """Refuse a file that is not a zip archive, naming what it is."""
    with open(path, 'rb') as f:
        head = f.read(6)
    if head[:4] in _ZIP_MAGIC:
        return
    if head == _NPY_MAGIC:
        what = 'a single .npy array'
    elif head[:1] == b'\x80' or head[:1] in (b'(', b'}', b']'):
        what = ('a Python pickle, which is not unpickled (unpickling a file '
                'can run code from it)')
    else:
        what = f'not a zip archive (it starts with {head!r})'
    raise ValueError(f'HumanData file {path} is not a .npz archive: it is '
                     f'{what}. HumanData files are numpy.savez archives '
                     '(mmhuman3d HumanData.dump).')


def _read_npy_header(f) -> np.dtype:
    """The dtype in the header of a ``.npy`` stream; leaves ``f`` at the
    data."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f)[2]
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(f)[2]
    # Format 3.0 (utf-8 field names) has no public header reader.
    return np.lib.format._read_array_header(f, version)[2]


def _implausible_extent_cause(extent: float) -> str:
    """The likely reason for a person's keypoints3d spanning ``extent``."""
    if extent <= _CENTIMETRE_EXTENT_MAX:
        return ('they look like centimetres (a person spans about '
                '50-300 cm): divide by 100')
    if extent <= _MILLIMETRE_EXTENT_MAX:
        return ('they look like millimetres (a person spans about '
                '500-3000 mm): divide by 1000')
    return ('the values look corrupt or like placeholders (e.g. 1e30 for '
            'a missing joint: give such joints confidence 0 and finite '
            'coordinates, or NaN so that the row is skipped)')


class HumanDataFile:
    """Lazy, validating reader of one HumanData ``.npz`` file.

    Arrays are read from the archive only when asked for, so a reader of a
    few keypoint slots never holds the whole 190-slot arrays longer than one
    call.

    Args:
        path: the ``.npz`` file.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not a readable ``.npz`` archive (a pickle
            or ``.npy`` renamed ``.npz`` is named as such and not loaded).
    """

    def __init__(self, path: str) -> None:
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'HumanData annotation file not found: {path}')
        self.path = path
        _check_archive(path)
        try:
            self._npz = np.load(path, allow_pickle=False)
        except _READ_ERRORS as e:
            raise ValueError(
                f'cannot read HumanData file {path}: {type(e).__name__}: '
                f'{e}; the file is corrupt or truncated') from e
        self.keys = set(self._npz.files)
        names = self._npz.zip.namelist()
        self._members = {
            key: key + '.npy' if key + '.npy' in names else key
            for key in self.keys
        }
        self._cache: Dict[str, Any] = {}
        self.compressed = bool(self.get('__keypoints_compressed__', False))

    def close(self) -> None:
        """Close the archive."""
        self._npz.close()

    def __enter__(self) -> 'HumanDataFile':
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __contains__(self, key: str) -> bool:
        return key in self.keys

    def read(self, key: str) -> np.ndarray:
        """The array stored under ``key``, read without running code.

        Object arrays (pickled dicts such as ``smpl`` and ``meta``) are
        unpickled through the allow-list of :mod:`..safe_pickle`.

        Raises:
            KeyError: ``key`` is not in the file.
            ValueError: the member is corrupt or truncated, or holds a
                pickle that names anything but numpy arrays and Python
                containers (the message names the file and the member).
        """
        member = self._members[key]
        try:
            with self._npz.zip.open(member) as f:
                dtype = _read_npy_header(f)
                if not dtype.hasobject:
                    return self._npz[key]
                value = safe_pickle_load(f)
        except pickle.UnpicklingError as e:
            raise ValueError(
                f'HumanData file {self.path}: member {key!r} was refused: '
                f'{e}') from e
        except _READ_ERRORS + UNPICKLING_ERRORS as e:
            raise ValueError(
                f'HumanData file {self.path}: cannot read member {key!r}: '
                f'{type(e).__name__}: {e}; the file is corrupt or '
                'truncated (re-convert or re-download it)') from e
        if not isinstance(value, np.ndarray):
            raise ValueError(
                f'HumanData file {self.path}: member {key!r} holds a '
                f'{type(value).__name__}, not a numpy array')
        return value

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``; 0-d arrays (dicts, strings, flags) unwrapped.
        """
        if key not in self.keys:
            return default
        if key in self._cache:
            return self._cache[key]
        value = self.read(key)
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value.item()
        if isinstance(value, dict):
            # Dicts are small (smpl, meta); keep them for repeated access.
            self._cache[key] = value
        return value

    def check_required(self, required: Sequence[str]) -> None:
        """Raise if any of ``required`` is absent.

        Args:
            required: key names; ``'smpl.betas'`` names a key of the
                ``smpl`` dict.

        Raises:
            KeyError: listing every missing key and the file.
        """
        missing: List[str] = []
        for name in required:
            if '.' in name:
                top, sub = name.split('.', 1)
                value = self.get(top)
                if not isinstance(value, dict) or sub not in value:
                    missing.append(name)
            elif name not in self.keys:
                missing.append(name)
        if missing:
            raise KeyError(f'HumanData file {self.path} lacks required keys '
                           f'{missing}; it has {sorted(self.keys)}')

    def gather_keypoints(self, key: str, slots: np.ndarray,
                         num_rows: int) -> np.ndarray:
        """Read the ``slots`` of the ``'human_data'`` layout from ``key``.

        Compressed files are decompressed for the requested slots only.
        Slots that the mask marks absent come back as zeros (coordinates
        and confidence).

        Args:
            key: ``'keypoints2d'`` or ``'keypoints3d'``.
            slots: ``(J,)`` indices into the 190 slots.
            num_rows: expected number of rows.

        Returns:
            ``(num_rows, J, D)`` float32 array.

        Raises:
            KeyError: a compressed file without ``<key>_mask``.
            ValueError: a convention other than ``'human_data'``, or shapes
                that do not match the mask / the 190 slots / ``num_rows``.
        """
        convention = self.get(f'{key}_convention', 'human_data')
        if str(convention) != 'human_data':
            raise ValueError(
                f'{self.path}: {key} is in the "{convention}" convention; '
                'only the "human_data" layout is supported')
        mask_key = f'{key}_mask'
        mask = self.get(mask_key)
        if self.compressed and mask is None:
            raise KeyError(f'{self.path}: {key} is compressed '
                           f'(__keypoints_compressed__) but {mask_key} '
                           'is missing, so it cannot be decompressed')
        array = self.read(key)
        if key == 'keypoints3d' and array.dtype.kind in 'iu':
            raise ValueError(
                f'HumanData file {self.path}: keypoints3d is stored as '
                f'{array.dtype} integers; HumanData keypoints3d are float '
                'metres, and integer values are likely millimetres '
                '(convert them with keypoints3d[..., :3] / 1000 and store '
                'float32)')
        if array.ndim != 3 or array.shape[0] != num_rows:
            raise ValueError(
                f'{self.path}: {key} has shape {array.shape}; expected '
                f'({num_rows}, K, D), one row per bbox_xywh row')
        slots = np.asarray(slots, dtype=np.int64)
        if mask is not None:
            mask = np.asarray(mask).reshape(-1) > 0
            if mask.shape[0] != NUM_HUMAN_DATA_KEYPOINTS:
                raise ValueError(
                    f'{self.path}: {mask_key} has {mask.shape[0]} entries; '
                    f'expected {NUM_HUMAN_DATA_KEYPOINTS}')
        out = np.zeros((num_rows, len(slots), array.shape[2]), np.float32)
        if self.compressed:
            if array.shape[1] != int(mask.sum()):
                raise ValueError(
                    f'{self.path}: compressed {key} has {array.shape[1]} '
                    f'keypoints but {mask_key} marks {int(mask.sum())}')
            # Column of each slot in the compressed array.
            column = np.cumsum(mask) - 1
            present = mask[slots]
            out[:, present] = array[:, column[slots[present]]]
        else:
            if array.shape[1] != NUM_HUMAN_DATA_KEYPOINTS:
                raise ValueError(
                    f'{self.path}: {key} has {array.shape[1]} keypoints; '
                    f'expected the {NUM_HUMAN_DATA_KEYPOINTS}-slot '
                    '"human_data" layout (or __keypoints_compressed__)')
            out[:] = array[:, slots]
            if mask is not None:
                out[:, ~mask[slots]] = 0
        if key == 'keypoints3d':
            self.check_person_extent(out)
        return out

    def check_person_extent(self, keypoints3d: np.ndarray) -> None:
        """Raise if a person's labelled 3D joints span more than
        :data:`MAX_PERSON_EXTENT_M`: the file is not in metres, or holds
        corrupt values. Rows holding NaN are left to the caller (they are
        skipped).

        Args:
            keypoints3d: ``(N, J, 4)`` ``(x, y, z, conf)``.
        """
        xyz = keypoints3d[..., :3].astype(np.float64)
        labelled = (keypoints3d[..., 3] > 0)[..., None]
        with np.errstate(invalid='ignore', over='ignore'):
            low = np.where(labelled, xyz, np.inf).min(axis=1)
            high = np.where(labelled, xyz, -np.inf).max(axis=1)
            span = np.where(labelled.any(axis=1), high - low, 0.0)
            extent = np.sqrt((span**2).sum(axis=1))
            bad = np.flatnonzero(extent > MAX_PERSON_EXTENT_M)
        if len(bad) == 0:
            return
        typical = float(np.median(extent[bad]))
        raise ValueError(
            f'HumanData file {self.path}: keypoints3d of {len(bad)} of '
            f'{len(extent)} people span more than {MAX_PERSON_EXTENT_M:g} m '
            f'(row {bad[0]}: {extent[bad[0]]:.4g}, typical '
            f'{typical:.4g}); HumanData keypoints3d are metres, and '
            f'{_implausible_extent_cause(typical)}')

    def row_array(self,
                  key: str,
                  num_rows: int,
                  value: Optional[Any] = None) -> np.ndarray:
        """A per-person array, checked to have ``num_rows`` rows.

        Args:
            key: name for messages (and the key read when ``value`` is None).
            num_rows: expected first dimension.
            value: an already read value (e.g. from the ``smpl`` dict).
        """
        if value is None:
            value = self.read(key)
        array = np.asarray(value)
        if array.ndim == 0 or array.shape[0] != num_rows:
            raise ValueError(
                f'{self.path}: {key} has shape {array.shape}; expected '
                f'{num_rows} rows (one per bbox_xywh row)')
        return array
