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
"""
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from hpse_bench.structures.conventions import NUM_HUMAN_DATA_KEYPOINTS


class HumanDataFile:
    """Lazy, validating reader of one HumanData ``.npz`` file.

    Arrays are read from the archive only when asked for, so a reader of a
    few keypoint slots never holds the whole 190-slot arrays longer than one
    call.

    Args:
        path: the ``.npz`` file.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not a readable ``.npz`` archive.
    """

    def __init__(self, path: str) -> None:
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'HumanData annotation file not found: {path}')
        self.path = path
        try:
            # Dicts (smpl, meta) are pickled 0-d object arrays in HumanData.
            self._npz = np.load(path, allow_pickle=True)
        except Exception as e:  # zipfile/pickle errors have many types
            raise ValueError(f'cannot read HumanData file {path}: {e}') from e
        self.keys = set(self._npz.files)
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

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``; 0-d arrays (dicts, strings, flags) unwrapped.
        """
        if key not in self.keys:
            return default
        if key in self._cache:
            return self._cache[key]
        value = self._npz[key]
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
        array = self._npz[key]
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
        return out

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
            value = self._npz[key]
        array = np.asarray(value)
        if array.ndim == 0 or array.shape[0] != num_rows:
            raise ValueError(
                f'{self.path}: {key} has shape {array.shape}; expected '
                f'{num_rows} rows (one per bbox_xywh row)')
        return array
