"""Occlusion-Person annotations -> HumanData ``.npz``.

Occlusion-Person (Zhang et al., "AdaFuse: Adaptive Multiview Fusion for
Accurate Human Pose Estimation in the Wild", IJCV 2021) renders people in
UnrealCV scenes where furniture hides about 20 % of the joints, from eight
cameras. Its annotation files (``unrealcv_train.pkl``,
``unrealcv_validation.pkl``) are pickled lists with one dict per image and
camera, in the layout of the multi-view Human3.6M toolbox:

- ``image``: path relative to the release's ``images`` folder;
- ``joints_2d`` ``(15, 2)`` pixels; ``joints_3d`` ``(15, 3)`` millimetres in
  the camera frame;
- ``joints_vis`` ``(15, 1|3)``: 1 where the joint projects into the image;
- ``joints_vis_2d`` ``(15, 1)``: 1 where it is not occluded (depth test);
- ``center`` ``(2,)`` and ``scale`` ``(2,)`` (box side / 200 pixels);
- ``camera``: ``R``, ``T``, ``fx``, ``fy``, ``cx``, ``cy``, ``k``, ``p``;
- ``camera_id``, ``image_id``, ``video_id``, ``subject``, ``action``, ...

The 15 joints (``OCCLUSION_PERSON_JOINTS``) are Human3.6M's without nose and
head top; they are written into the H36M-17 slots of the 190-keypoint
``human_data`` layout (``conventions.human_data_indices('h36m_17')``), with
``neck`` as H36M's thorax. H36M's head and head top are absent (mask 0).
One HumanData row per image and camera:

- ``keypoints3d``: metres, camera frame, confidence 1 for the 15 joints
  (their 3D position is known whether or not they are seen);
- ``keypoints2d``: pixels, confidence 1 where ``joints_vis`` says the joint
  lies in the image;
- ``bbox_xywh`` from ``center``/``scale``; ``focal_length`` and
  ``principal_point`` from the camera;
- ``meta['occluded']`` ``(N, 17)`` bool, H36M-17 order: in the image but
  hidden (``joints_vis_2d`` 0), the dataset's occlusion label.
"""
import os
import os.path as osp
import pickle
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from hpse_bench.structures.conventions import H36M_17, human_data_indices
from hpse_bench.utils.safe_pickle import UNPICKLING_ERRORS, safe_pickle_load
from ..human_data import human_data_keypoints, write_human_data

#: The dataset's joints in its own order, and their H36M-17 names.
OCCLUSION_PERSON_JOINTS: List[str] = [
    'root', 'rhip', 'rkne', 'rank', 'lhip', 'lkne', 'lank', 'belly', 'neck',
    'lsho', 'lelb', 'lwri', 'rsho', 'relb', 'rwri'
]
_H36M_NAME = dict(root='pelvis',
                  rhip='right_hip',
                  rkne='right_knee',
                  rank='right_ankle',
                  lhip='left_hip',
                  lkne='left_knee',
                  lank='left_ankle',
                  belly='spine',
                  neck='thorax',
                  lsho='left_shoulder',
                  lelb='left_elbow',
                  lwri='left_wrist',
                  rsho='right_shoulder',
                  relb='right_elbow',
                  rwri='right_wrist')
#: H36M-17 index of each Occlusion-Person joint.
TO_H36M = np.array(
    [H36M_17.index(_H36M_NAME[n]) for n in OCCLUSION_PERSON_JOINTS])
_NUM_JOINTS = len(OCCLUSION_PERSON_JOINTS)
_REQUIRED = ('image', 'joints_2d', 'joints_3d', 'joints_vis')


def _field(rec: Dict[str, Any], key: str, shape: Sequence[int], index: int,
           where: str) -> np.ndarray:
    value = np.asarray(rec[key], dtype=np.float64)
    if value.shape[:len(shape)] != tuple(shape):
        raise ValueError(f'{where}: record {index} ({rec.get("image")!r}) '
                         f'has {key} of shape {value.shape}, expected '
                         f'{tuple(shape)}')
    if not np.isfinite(value).all():
        raise ValueError(f'{where}: record {index} ({rec.get("image")!r}) '
                         f'has non-finite {key}')
    return value


def _camera_value(camera: Dict[str, Any], key: str) -> Optional[float]:
    if key not in camera:
        return None
    return float(np.asarray(camera[key], dtype=np.float64).reshape(-1)[0])


def _record_joints(
        rec: Any, index: int,
        where: str) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The checked joints of one record.

    Args:
        rec: one element of the annotation list.
        index: its index in the list, for messages.
        where: name of the source, for messages.

    Returns:
        ``(joints_2d (15, 2) pixels, joints_3d (15, 3) mm, in_view (15,)
        bool, unoccluded (15,) bool)``; without ``joints_vis_2d`` every
        joint counts as unoccluded.

    Raises:
        ValueError: not a dict, a required key missing or a malformed field.
    """
    if not isinstance(rec, dict):
        raise ValueError(f'{where}: record {index} is a '
                         f'{type(rec).__name__}, not a dict')
    missing = [k for k in _REQUIRED if k not in rec]
    if missing:
        raise ValueError(f'{where}: record {index} '
                         f'({rec.get("image")!r}) lacks {missing}; '
                         f'keys found: {sorted(rec)}')
    j2d = _field(rec, 'joints_2d', (_NUM_JOINTS, ), index, where)[:, :2]
    j3d = _field(rec, 'joints_3d', (_NUM_JOINTS, 3), index, where)
    # The flags come as (15, 1) or (15, 3) (one copy per coordinate).
    in_view = _field(rec, 'joints_vis', (_NUM_JOINTS, ), index,
                     where).reshape(_NUM_JOINTS, -1)[:, 0] > 0
    if 'joints_vis_2d' in rec:
        unoccluded = _field(rec, 'joints_vis_2d', (_NUM_JOINTS, ), index,
                            where).reshape(_NUM_JOINTS, -1)[:, 0] > 0
    else:
        unoccluded = np.ones(_NUM_JOINTS, dtype=bool)
    return j2d, j3d, in_view, unoccluded


def _record_bbox(rec: Dict[str, Any], j2d: np.ndarray,
                 in_view: np.ndarray) -> List[float]:
    """The person box ``[x, y, w, h]`` of one record.

    Args:
        rec: the record; its ``center`` and ``scale`` give the box.
        j2d: ``(15, 2)`` joints, for a record without ``center``/``scale``.
        in_view: ``(15,)`` joints inside the image.

    Returns:
        ``[x, y, w, h]`` in pixels.
    """
    if 'center' in rec and 'scale' in rec:
        c = np.asarray(rec['center'], np.float64).reshape(-1)[:2]
        # ``scale`` is the box side / 200 pixels, one value or one per axis.
        s = np.broadcast_to(
            np.asarray(rec['scale'], np.float64).reshape(-1)[:2], (2, ))
        side = s * 200.0
        return [c[0] - side[0] / 2, c[1] - side[1] / 2, side[0], side[1]]
    # No box: the joints' box, enlarged 1.2 as SPIN's boxes are.
    pts = j2d[in_view] if in_view.any() else j2d
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    mid, size = (lo + hi) / 2, (hi - lo) * 1.2
    return [mid[0] - size[0] / 2, mid[1] - size[1] / 2, size[0], size[1]]


def _record_intrinsics(
        rec: Dict[str, Any]) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """``(focal_length (fx, fy), principal_point (cx, cy))`` of a record's
    camera, or None when it lacks any of them."""
    camera = rec.get('camera') or {}
    fx, fy = _camera_value(camera, 'fx'), _camera_value(camera, 'fy')
    cx, cy = _camera_value(camera, 'cx'), _camera_value(camera, 'cy')
    if None in (fx, fy, cx, cy):
        return None
    return np.array([fx, fy]), np.array([cx, cy])


def occlusion_person_rows(records: Sequence[Dict[str, Any]],
                          every: int = 1,
                          image_prefix: str = 'images/',
                          where: str = 'annotations') -> Dict[str, Any]:
    """Per-row arrays of an Occlusion-Person annotation list.

    Args:
        records: the unpickled list of per-image, per-camera dicts.
        every: keep every ``every``-th record (AdaFuse evaluates every 5th
            frame).
        image_prefix: prepended to each ``image`` path, so that paths are
            relative to the dataset folder (``datasets/occlusion_person/``).
        where: name of the source, for error messages.

    Returns:
        dict with ``image_path`` (list), ``image_id`` ``(N,)``,
        ``bbox_xywh`` ``(N, 4)``, ``keypoints2d`` ``(N, 17, 3)``,
        ``keypoints3d`` ``(N, 17, 4)`` (metres), ``occluded`` ``(N, 17)``,
        and ``focal_length`` / ``principal_point`` ``(N, 2)`` (None when the
        records have no camera intrinsics).

    Raises:
        ValueError: a record misses a key or has a malformed field (the
            message names the record).
    """
    if not isinstance(records, (list, tuple)):
        raise ValueError(f'{where}: expected a list of per-image dicts, got '
                         f'{type(records).__name__}')
    if every < 1:
        raise ValueError(f'every must be >= 1, got {every}')
    kept = list(range(0, len(records), every))
    n = len(kept)
    out = dict(image_path=[],
               image_id=np.arange(n, dtype=np.int64),
               bbox_xywh=np.zeros((n, 4)),
               keypoints2d=np.zeros((n, len(H36M_17), 3)),
               keypoints3d=np.zeros((n, len(H36M_17), 4)),
               occluded=np.zeros((n, len(H36M_17)), dtype=bool))
    focal = np.full((n, 2), np.nan)
    center = np.full((n, 2), np.nan)
    for row, index in enumerate(kept):
        rec = records[index]
        j2d, j3d, in_view, unoccluded = _record_joints(rec, index, where)
        out['image_path'].append(image_prefix + str(rec['image']))
        out['keypoints2d'][row, TO_H36M, :2] = j2d
        out['keypoints2d'][row, TO_H36M, 2] = in_view
        out['keypoints3d'][row, TO_H36M, :3] = j3d / 1000.0
        # The 3D position is known whether or not the joint is seen.
        out['keypoints3d'][row, TO_H36M, 3] = 1.0
        out['occluded'][row, TO_H36M] = in_view & ~unoccluded
        out['bbox_xywh'][row] = _record_bbox(rec, j2d, in_view)
        intrinsics = _record_intrinsics(rec)
        if intrinsics is not None:
            focal[row], center[row] = intrinsics
    # Intrinsics for some rows only would leave NaN rows: all or none.
    has_camera = n > 0 and np.isfinite(focal).all()
    out['focal_length'] = focal if has_camera else None
    out['principal_point'] = center if has_camera else None
    return out


def convert_occlusion_person(annotation_file: str,
                             out_file: str,
                             every: int = 1,
                             image_prefix: str = 'images/') -> Dict[str, Any]:
    """Convert one Occlusion-Person ``.pkl`` into a HumanData ``.npz``.

    The pickle is read through the allow-list of :mod:`..safe_pickle`
    (numpy arrays and Python containers only), so a file never runs code;
    Python 2 pickles load too.

    Args:
        annotation_file: ``unrealcv_train.pkl`` or
            ``unrealcv_validation.pkl``.
        out_file: the ``.npz`` to write (e.g.
            ``data/preprocessed_datasets/occlusion_person_train.npz``).
        every: keep every ``every``-th record.
        image_prefix: see :func:`occlusion_person_rows`.

    Returns:
        ``dict(path=out_file, rows=N, occluded_fraction=...)``.
    """
    if not osp.isfile(annotation_file):
        raise FileNotFoundError(
            f'Occlusion-Person annotation file not found: {annotation_file}')
    with open(annotation_file, 'rb') as f:
        try:
            records = safe_pickle_load(f)
        except pickle.UnpicklingError as e:
            raise ValueError(f'{annotation_file} was refused: {e}') from e
        except UNPICKLING_ERRORS as e:
            raise ValueError(
                f'{annotation_file} is not a readable annotation pickle: '
                f'{type(e).__name__}: {e}') from e
    rows = occlusion_person_rows(records,
                                 every,
                                 image_prefix,
                                 where=annotation_file)
    n = len(rows['image_path'])
    if n == 0:
        raise ValueError(f'{annotation_file}: no records')
    conf = {'h36m_17': rows['keypoints2d'][..., 2]}
    kp2d, mask2d = human_data_keypoints(
        {'h36m_17': rows['keypoints2d'][..., :2]}, conf, 2)
    kp3d, mask3d = human_data_keypoints(
        {'h36m_17': rows['keypoints3d'][..., :3]},
        {'h36m_17': rows['keypoints3d'][..., 3]}, 3)
    # H36M's head and head top are not in the dataset.
    absent = human_data_indices('h36m_17')[[
        H36M_17.index('head'),
        H36M_17.index('head_top')
    ]]
    mask2d[absent] = 0
    mask3d[absent] = 0
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    write_human_data(out_file,
                     rows['image_path'],
                     rows['image_id'],
                     rows['bbox_xywh'],
                     kp2d,
                     mask2d,
                     config='occlusion_person',
                     keypoints3d=kp3d,
                     keypoints3d_mask=mask3d,
                     focal_length=rows['focal_length'],
                     principal_point=rows['principal_point'],
                     meta=dict(occluded=rows['occluded'],
                               source=osp.basename(annotation_file),
                               every=every))
    in_view = rows['keypoints2d'][..., 2] > 0
    fraction = float(rows['occluded'].sum() / max(1, in_view.sum()))
    return dict(path=out_file, rows=n, occluded_fraction=fraction)
