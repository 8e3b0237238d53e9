"""Writers of the synthetic labels in the formats real datasets use.

- COCO person keypoints JSON (``person_keypoints_*.json``), readable by
  pycocotools/xtcocotools and mmpose's ``CocoDataset``, with the
  COCO-DensePose fields on every annotation (Gueler et al., CVPR 2018):
  ``dp_x``/``dp_y`` in ``[0, 256)`` box coordinates (the image point is
  ``x0 + dp_x * w / 256``, detectron2's reading), ``dp_I`` chart 1..24,
  ``dp_U``/``dp_V`` in ``[0, 1]``, and ``dp_masks``: 14 coarse-part RLEs of
  size 256x256 in the box frame, ``[]`` for an absent part.
- HumanData ``.npz`` (mmhuman3d's ``HumanData.dump`` layout): keypoints in
  the 190-slot ``'human_data'`` convention with ``keypoints{2,3}d_mask``,
  ``bbox_xywh`` ``(N, 5)``, ``smpl`` dict, ``image_path``, ``config``,
  ``meta``, ``__data_len__``, ``__key_strict__``,
  ``__keypoints_compressed__``, plus ``focal_length``, ``principal_point``
  and ``image_id`` (docs/data_contract.md).

Files are byte-reproducible: the ``.npz`` archive is written with a fixed
timestamp (``numpy.savez`` stamps the current time into the zip).
"""
import io
import json
import os
import zipfile
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

from hpse_bench.models.body_models.conventions import (
    COCO_17, COCO_SKELETON, NUM_HUMAN_DATA_KEYPOINTS, human_data_indices)

# Slots of the 190-keypoint layout written for each convention, in the
# order they are written: on 3D splits H36M-17 is written last, so the ten
# limb slots it shares with SMPL-24/COCO-17 (knees, ankles, shoulders,
# elbows, wrists) hold the H36M-regressor joints that 3D evaluation reads.
HUMAN_DATA_WRITE_ORDER = ('smpl_24', 'coco_17', 'h36m_17')
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def save_npz(path: str, arrays: Dict[str, Any]) -> None:
    """``numpy.savez_compressed`` with a fixed zip timestamp.

    The archive loads with ``numpy.load`` exactly like one written by
    ``savez_compressed``; non-array values (dicts, strings, bools) become
    0-d arrays as ``numpy.savez`` makes them.
    """
    with zipfile.ZipFile(path, mode='w', compression=zipfile.ZIP_DEFLATED,
                         allowZip64=True) as zf:
        for key, value in arrays.items():
            array = np.asanyarray(value)
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array, allow_pickle=True)
            info = zipfile.ZipInfo(key + '.npy', date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buffer.getvalue())


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
    save_npz(path, data)


def coco_categories() -> List[Dict[str, Any]]:
    """COCO's single 'person' category with keypoint names and skeleton
    (1-based, as in the COCO files)."""
    return [{
        'supercategory': 'person',
        'id': 1,
        'name': 'person',
        'keypoints': list(COCO_17),
        'skeleton': [[a + 1, b + 1] for a, b in COCO_SKELETON],
    }]


def write_coco_json(path: str, images: List[Dict[str, Any]],
                    annotations: List[Dict[str, Any]],
                    description: str) -> None:
    """Write a COCO keypoints file (``info``, ``licenses``, ``images``,
    ``annotations``, ``categories``)."""
    content = {
        'info': {
            'description': description,
            'version': '1.0',
            'year': 2024,
            'contributor': 'hpse_bench synthetic generator',
            'date_created': '2024-01-01',
        },
        'licenses': [],
        'images': images,
        'annotations': annotations,
        'categories': coco_categories(),
    }
    tmp = path + '.part'
    with open(tmp, 'w') as f:
        json.dump(content, f, separators=(',', ':'))
    os.replace(tmp, path)
