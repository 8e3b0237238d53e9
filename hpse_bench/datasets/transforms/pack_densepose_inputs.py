"""Packing of a DensePose training sample."""
import numpy as np
import torch
from mmpose.datasets.transforms import PackPoseInputs

from hpse_bench.registry import TRANSFORMS
from hpse_bench.structures.densepose_target import DensePoseTarget


@TRANSFORMS.register_module()
class PackDensePoseInputs(PackPoseInputs):
    """mmpose's ``PackPoseInputs`` plus a ``gt_densepose`` field.

    The data sample (an mmpose ``PoseDataSample``) gets
    ``gt_densepose``, a :class:`~hpse_bench.structures.DensePoseTarget` in
    network-input pixels, built from the results of
    ``DensePoseTopdownAffine``. A person without DensePose annotation gets
    empty points, an all-background map and ``has_densepose=False``.

    Args:
        meta_keys: as mmpose's, without ``raw_ann_info`` by default.
        pack_transformed: as mmpose's.
    """

    def __init__(self,
                 meta_keys=('id', 'img_id', 'img_path', 'category_id',
                            'ori_shape', 'img_shape', 'input_size',
                            'input_center', 'input_scale', 'flip',
                            'flip_direction', 'flip_indices',
                            'dataset_name'),
                 pack_transformed: bool = False) -> None:
        super().__init__(
            meta_keys=meta_keys, pack_transformed=pack_transformed)

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        h, w = results['img'].shape[:2]
        has_densepose = bool(results.get('has_densepose', False))
        if has_densepose:
            segm = results['dp_segm']
            if segm.shape != (h, w):
                raise ValueError(
                    f'dp_segm has shape {segm.shape}, the input image '
                    f'{(h, w)}: put DensePoseTopdownAffine before '
                    f'{self.__class__.__name__}')
            target = DensePoseTarget(
                points=torch.from_numpy(
                    np.ascontiguousarray(results['dp_points'],
                                         dtype=np.float32)).reshape(-1, 2),
                charts=torch.from_numpy(
                    np.asarray(results['dp_I'], dtype=np.int64)),
                u=torch.from_numpy(np.asarray(results['dp_U'], np.float32)),
                v=torch.from_numpy(np.asarray(results['dp_V'], np.float32)),
                coarse_segm=torch.from_numpy(segm.astype(np.uint8)),
                has_densepose=torch.tensor(True))
        else:
            target = DensePoseTarget(
                points=torch.zeros(0, 2),
                charts=torch.zeros(0, dtype=torch.long),
                u=torch.zeros(0),
                v=torch.zeros(0),
                coarse_segm=torch.zeros(h, w, dtype=torch.uint8),
                has_densepose=torch.tensor(False))
        packed['data_samples'].gt_densepose = target
        return packed
