"""Reading the drawable fields of data samples, whatever produced them.

hpse_bench's own samples (:class:`~hpse_bench.structures.HumanDataSample`),
mmpose's ``PoseDataSample`` (the DensePose and 2D pose pipelines) and
mmpretrain's samples keep keypoints, boxes and dense maps under different
names. These helpers return plain numpy arrays, or ``None`` when a sample
has no such field.
"""
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement

from .mesh_rendering import Mesh

Samples = Union[BaseDataElement, Sequence[BaseDataElement]]


def to_numpy(value: Any) -> np.ndarray:
    """A tensor (any device), array or number as a numpy array."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def get_field(sample: BaseDataElement, name: str) -> Optional[Any]:
    """``sample.name`` from its data or metainfo, or ``None``."""
    if name in sample:
        return sample.get(name)
    return None


def sample_id(sample: BaseDataElement) -> str:
    """A short name of the sample for captions and file names:
    ``<dataset>_<index>`` from whichever id keys the sample carries."""
    meta = sample.metainfo
    dataset = meta.get('dataset_name')
    index = None
    for key in ('sample_idx', 'id', 'img_id', 'ann_id', 'image_id'):
        if meta.get(key) is not None:
            index = meta[key]
            break
    parts = [str(p) for p in (dataset, index) if p is not None]
    return '_'.join(parts) if parts else 'sample'


def prediction_mesh(sample: BaseDataElement) -> Optional[Mesh]:
    """``(pred_vertices_cam, pred_camera_intrinsics)`` of a sample completed
    by :func:`~hpse_bench.visualization.add_camera_predictions`."""
    verts = get_field(sample, 'pred_vertices_cam')
    k = get_field(sample, 'pred_camera_intrinsics')
    if verts is None or k is None:
        return None
    return to_numpy(verts).astype(np.float64), to_numpy(k).astype(np.float64)


def keypoints_with_scores(value: Any) -> Tuple[np.ndarray, np.ndarray]:
    """Split ``(..., K, 2)`` / ``(..., K, 3+)`` keypoints into ``(xy,
    score)``; keypoints without a score column score 1."""
    kp = to_numpy(value).astype(np.float64)
    if kp.shape[-1] >= 3:
        return kp[..., :2], kp[..., 2]
    return kp[..., :2], np.ones(kp.shape[:-1])


def crop_keypoints(
        sample: BaseDataElement) -> List[Tuple[np.ndarray, np.ndarray]]:
    """Ground-truth keypoints in network-input pixels, one ``(xy (K, 2),
    score (K,))`` per view or person.

    hpse_bench samples: ``gt_keypoints2d`` (``(K, 3)``, or ``(V, K, 3)`` for
    multi-view pre-training). mmpose samples: ``gt_instances.
    transformed_keypoints`` (packed with ``pack_transformed=True``) with
    ``keypoints_visible``.
    """
    out = []
    kp = get_field(sample, 'gt_keypoints2d')
    if kp is not None:
        xy, score = keypoints_with_scores(kp)
        if xy.ndim == 2:
            xy, score = xy[None], score[None]
        out.extend(zip(xy, score))
        return out
    inst = get_field(sample, 'gt_instances')
    if inst is not None and 'transformed_keypoints' in inst:
        xy = to_numpy(inst.transformed_keypoints).astype(np.float64)
        vis = (
            to_numpy(inst.keypoints_visible).astype(np.float64)
            if 'keypoints_visible' in inst else np.ones(xy.shape[:-1]))
        if vis.ndim == 3:  # mmpose may keep a trailing axis
            vis = vis[..., 0]
        out.extend(zip(xy, vis))
    return out


def dense_map(value: Any, name: str = 'data') -> Optional[np.ndarray]:
    """A 2D map from a tensor, array or ``PixelData`` field (leading
    singleton axes dropped)."""
    if value is None:
        return None
    if isinstance(value, BaseDataElement):
        if name not in value:
            return None
        value = value.get(name)
    arr = to_numpy(value)
    while arr.ndim > 2 and arr.shape[0] == 1:
        arr = arr[0]
    return arr


def as_sample_list(samples: Samples) -> List[BaseDataElement]:
    """One sample or a sequence of them (the people of an image) as a
    list."""
    if isinstance(samples, BaseDataElement):
        return [samples]
    return list(samples)
