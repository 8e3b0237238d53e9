"""Packing a transformed person sample into network inputs and labels."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from hpse_bench.registry import TRANSFORMS
from hpse_bench.structures import HumanDataSample
from hpse_bench.structures.conventions import NUM_BETAS, NUM_SMPL_JOINTS


@TRANSFORMS.register_module()
class PackHumanInputs(BaseTransform):
    """Build ``dict(inputs, data_samples)`` as ``docs/data_contract.md`` says.

    ``inputs`` is the crop as a ``(3, H, W)`` uint8 tensor; ``data_samples``
    a :class:`~hpse_bench.structures.HumanDataSample` with float32 tensors
    of fixed shape, zeros with zero confidence (and ``has_* = 0``) where a
    label is absent:

    ========================  =========  ===================================
    field                     shape      from results key
    ========================  =========  ===================================
    ``gt_keypoints2d``        (17, 3)    ``keypoints2d`` (COCO-17, crop px)
    ``gt_keypoints2d_img``    (17, 3)    ``keypoints2d_img`` (H36M-17, image)
    ``gt_keypoints3d``        (17, 4)    ``keypoints3d`` (H36M-17, metres)
    ``gt_smpl_pose``          (72,)      ``smpl_pose``
    ``gt_smpl_betas``         (10,)      ``smpl_betas``
    ``has_smpl``              ()         ``has_smpl``
    ``has_keypoints3d``       ()         ``has_keypoints3d``
    ========================  =========  ===================================

    Metainfo: ``meta_keys``, and those of ``optional_meta_keys`` present.

    Args:
        meta_keys: results keys copied to the sample's metainfo; all must
            be present.
        optional_meta_keys: keys copied when present (e.g. ``'gender'`` of
            3DPW, ``'sequence'`` of MuPoTS-3D).
    """

    DEFAULT_META_KEYS = ('img_path', 'sample_idx', 'dataset_name', 'image_id',
                         'img_shape', 'bbox_center', 'bbox_scale', 'warp_mat',
                         'flip', 'rotation')
    FIELDS = (
        ('gt_keypoints2d', 'keypoints2d', (17, 3)),
        ('gt_keypoints2d_img', 'keypoints2d_img', (17, 3)),
        ('gt_keypoints3d', 'keypoints3d', (17, 4)),
        ('gt_smpl_pose', 'smpl_pose', (NUM_SMPL_JOINTS * 3, )),
        ('gt_smpl_betas', 'smpl_betas', (NUM_BETAS, )),
        ('has_smpl', 'has_smpl', ()),
        ('has_keypoints3d', 'has_keypoints3d', ()),
    )

    def __init__(
        self,
        meta_keys: Sequence[str] = DEFAULT_META_KEYS,
        optional_meta_keys: Sequence[str] = ()
    ) -> None:
        self.meta_keys = tuple(meta_keys)
        self.optional_meta_keys = tuple(optional_meta_keys)

    def transform(self, results: dict) -> dict:
        if 'warp_mat' not in results:
            raise KeyError('PackHumanInputs expects a cropped sample (no '
                           '"warp_mat" found); put TopdownHumanAffine '
                           'before it')
        img = np.asarray(results['img'])
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f'expected an (H, W, 3) image; got {img.shape}')
        if img.dtype != np.uint8:
            img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        missing = [k for k in self.meta_keys if k not in results]
        if missing:
            raise KeyError(f'PackHumanInputs: meta keys {missing} are not in '
                           'the results')
        metainfo = {k: results[k] for k in self.meta_keys}
        metainfo.update(
            {k: results[k]
             for k in self.optional_meta_keys if k in results})
        sample = HumanDataSample(metainfo=metainfo)
        for field, key, shape in self.FIELDS:
            value = np.asarray(
                results.get(key, np.zeros(shape)), dtype=np.float32)
            if value.shape != shape:
                raise ValueError(f'{key} has shape {value.shape}; the data '
                                 f'contract wants {shape}')
            sample.set_field(torch.from_numpy(value.copy()), field)
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(meta_keys={self.meta_keys}, '
                f'optional_meta_keys={self.optional_meta_keys})')
