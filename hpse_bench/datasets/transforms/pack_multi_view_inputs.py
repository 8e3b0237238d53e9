from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from hpse_bench.registry import TRANSFORMS
from hpse_bench.structures import HumanDataSample


def _image_to_tensor(img: np.ndarray) -> torch.Tensor:
    if img.ndim == 2:
        img = img[..., None]
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))


@TRANSFORMS.register_module()
class PackMultiViewInputs(BaseTransform):
    """Pack the views of a person crop for contrastive pre-training.

    ``inputs`` is a list of ``V`` ``(3, H, W)`` uint8 tensors (one per view,
    as mmpretrain's ``SelfSupDataPreprocessor`` expects; a single image
    gives ``V = 1``). ``data_samples`` is a
    :class:`~hpse_bench.structures.HumanDataSample` with the per-view
    fields, each with a leading view axis:

    - ``gt_keypoints2d`` (V, K, 3): x, y in view pixels, visibility;
    - ``view_rotation`` (V,), ``view_translation`` (V, 2), ``view_scale``
      (V,), ``view_flip`` (V,): the geometric augmentation of each view;
    - ``gt_segments`` (V, H, W) int64: DetCon's segment ids (-1: none).

    Missing fields are left out, except the view parameters, which default
    to the identity.

    Args:
        meta_keys: keys copied to the metainfo when present.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = ('img_path', 'sample_idx',
                                             'img_id', 'ann_id',
                                             'dataset_name', 'img_shape',
                                             'bbox_center', 'bbox_scale')
                 ) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        imgs = results['img']
        if not isinstance(imgs, (list, tuple)):
            imgs = [imgs]
        num_views = len(imgs)
        inputs = [_image_to_tensor(img) for img in imgs]

        sample = HumanDataSample()
        if 'keypoints' in results:
            kpts = np.asarray(results['keypoints'], dtype=np.float32)
            vis = np.asarray(
                results.get('keypoints_visible', np.ones(kpts.shape[:-1])),
                dtype=np.float32)
            if kpts.ndim == 2:
                kpts, vis = kpts[None], vis[None]
            if kpts.shape[0] != num_views:
                raise ValueError(f'{kpts.shape[0]} keypoint sets for '
                                 f'{num_views} views')
            sample.gt_keypoints2d = torch.from_numpy(
                np.concatenate([kpts, vis[..., None]], axis=-1))
        identity = dict(
            view_rotation=np.zeros(num_views, np.float32),
            view_translation=np.zeros((num_views, 2), np.float32),
            view_scale=np.ones(num_views, np.float32),
            view_flip=np.zeros(num_views, bool))
        for key, default in identity.items():
            value = np.asarray(results.get(key, default))
            sample.set_field(torch.from_numpy(value.copy()), key)
        if 'segments' in results:
            segments = np.asarray(results['segments'])
            if segments.ndim == 2:
                segments = segments[None]
            sample.gt_segments = torch.from_numpy(segments.astype(np.int64))
        sample.set_metainfo({
            k: results[k]
            for k in self.meta_keys if k in results
        })
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
