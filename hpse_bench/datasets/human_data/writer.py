"""Writing HumanData ``.npz`` files (mmhuman3d's ``HumanData.dump`` layout).

Keypoints in the 190-slot ``'human_data'`` convention with
``keypoints{2,3}d_mask``, ``bbox_xywh`` ``(N, 5)``, an ``smpl`` dict,
``image_path``, ``config``, ``meta``, ``__data_len__``, ``__key_strict__``,
``__keypoints_compressed__``, plus ``focal_length``, ``principal_point`` and
``image_id`` (docs/data_contract.md). :class:`.HumanDataFile` reads them.
Files are byte-reproducible (:func:`hpse_bench.utils.fileio.save_npz`).
"""
from typing import Any, Dict, Sequence, Tuple

import numpy as np

from hpse_bench.structures.conventions import (NUM_HUMAN_DATA_KEYPOINTS,
                                               human_data_indices)
from hpse_bench.utils.fileio import save_npz

# Slots of the 190-keypoint layout written for each convention, in the
# order they are written: on 3D splits H36M-17 is written last, so the ten
# limb slots it shares with SMPL-24/COCO-17 (knees, ankles, shoulders,
# elbows, wrists) hold the H36M-regressor joints that 3D evaluation reads.
HUMAN_DATA_WRITE_ORDER = ('smpl_24', 'coco_17', 'h36m_17')


def _object_array(value: Any) -> np.ndarray:
    """A 0-d object array holding ``value`` (how savez stores a dict)."""
    out = np.empty((), dtype=object)
    out[()] = value
    return out


def human_data_keypoints(keypoints: Dict[str, np.ndarray],
                         confidence: Dict[str, np.ndarray],
                         ndim: int) -> Tuple[np.ndarray, np.ndarray]:
    """Scatter per-convention keypoints into the 190-slot layout.

    Args:
        keypoints: convention name (``'smpl_24'``, ``'coco_17'``,
            ``'h36m_17'``) -> ``(N, J, ndim)`` coordinates.
        confidence: convention name -> ``(N, J)`` confidence.
        ndim: 2 or 3.

    Returns:
        ``(N, 190, ndim + 1)`` float32, last column the confidence, slots of
        no given convention zero; and the ``(190,)`` uint8 mask of the
        slots written (mmhuman3d's ``keypoints*_mask``).
    """
    n = len(next(iter(keypoints.values())))
    out = np.zeros((n, NUM_HUMAN_DATA_KEYPOINTS, ndim + 1), np.float32)
    mask = np.zeros(NUM_HUMAN_DATA_KEYPOINTS, np.uint8)
    for name in HUMAN_DATA_WRITE_ORDER:
        if name not in keypoints:
            continue
        slots = human_data_indices(name)
        out[:, slots, :ndim] = keypoints[name]
        out[:, slots, ndim] = confidence[name]
        mask[slots] = 1
    return out, mask


def write_human_data(path: str,
                     image_path: Sequence[str],
                     image_id: Sequence[int],
                     bbox_xywh: np.ndarray,
                     keypoints2d: np.ndarray,
                     keypoints2d_mask: np.ndarray,
                     config: str,
                     keypoints3d: np.ndarray = None,
                     keypoints3d_mask: np.ndarray = None,
                     smpl: Dict[str, np.ndarray] = None,
                     focal_length: np.ndarray = None,
                     principal_point: np.ndarray = None,
                     meta: Dict[str, Any] = None) -> None:
    """Write one HumanData ``.npz`` (one row per person).

    Args:
        path: output ``.npz``.
        image_path: ``N`` image paths relative to the split folder.
        image_id: ``N`` ids grouping the people of one image.
        bbox_xywh: ``(N, 4)`` or ``(N, 5)`` boxes (a confidence of 1 is
            appended to 4-column boxes).
        keypoints2d: ``(N, 190, 3)`` from :func:`human_data_keypoints`.
        keypoints2d_mask: ``(190,)`` slots that hold keypoints.
        config: dataset name stored under ``config``.
        keypoints3d: optional ``(N, 190, 4)``.
        keypoints3d_mask: ``(190,)``, required with ``keypoints3d``.
        smpl: optional ``global_orient (N, 3)``, ``body_pose (N, 23, 3)``,
            ``betas (N, 10)``, ``transl (N, 3)``.
        focal_length, principal_point: optional ``(N, 2)`` pixels.
        meta: optional dict stored under ``meta``.
    """
    n = len(image_path)
    bbox = np.asarray(bbox_xywh, dtype=np.float32).reshape(n, -1)
    if bbox.shape[1] == 4:
        bbox = np.concatenate([bbox, np.ones((n, 1), np.float32)], axis=1)
    if keypoints2d.shape != (n, NUM_HUMAN_DATA_KEYPOINTS, 3):
        raise ValueError(f'keypoints2d must be ({n}, '
                         f'{NUM_HUMAN_DATA_KEYPOINTS}, 3), got '
                         f'{keypoints2d.shape}')
    data: Dict[str, Any] = {
        '__key_strict__': False,
        '__data_len__': n,
        '__keypoints_compressed__': False,
        'image_path': np.asarray(list(image_path), dtype=str),
        'image_id': np.asarray(image_id, dtype=np.int64),
        'bbox_xywh': bbox,
        'config': config,
        'keypoints2d': keypoints2d.astype(np.float32),
        'keypoints2d_mask': np.asarray(keypoints2d_mask, np.uint8),
        'keypoints2d_convention': 'human_data',
    }
    if keypoints3d is not None:
        if keypoints3d.shape != (n, NUM_HUMAN_DATA_KEYPOINTS, 4):
            raise ValueError(f'keypoints3d must be ({n}, '
                             f'{NUM_HUMAN_DATA_KEYPOINTS}, 4), got '
                             f'{keypoints3d.shape}')
        data['keypoints3d'] = keypoints3d.astype(np.float32)
        data['keypoints3d_mask'] = np.asarray(keypoints3d_mask, np.uint8)
        data['keypoints3d_convention'] = 'human_data'
    if smpl is not None:
        data['smpl'] = _object_array({
            'global_orient':
            np.asarray(smpl['global_orient'], np.float32).reshape(n, 3),
            'body_pose':
            np.asarray(smpl['body_pose'], np.float32).reshape(n, 23, 3),
            'betas':
            np.asarray(smpl['betas'], np.float32).reshape(n, -1),
            'transl':
            np.asarray(smpl['transl'], np.float32).reshape(n, 3),
        })
    if focal_length is not None:
        data['focal_length'] = np.asarray(focal_length,
                                          np.float32).reshape(n, 2)
    if principal_point is not None:
        data['principal_point'] = np.asarray(principal_point,
                                             np.float32).reshape(n, 2)
    data['meta'] = _object_array(dict(meta or {}))
    # mmhuman3d stores the smpl and meta dicts as pickled 0-d object arrays.
    save_npz(path, data, allow_pickle=True)
