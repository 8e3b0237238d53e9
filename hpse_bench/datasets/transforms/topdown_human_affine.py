"""Top-down crop of one person, with its labels."""
from typing import Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from hpse_bench.registry import TRANSFORMS
from .geometry import (apply_affine, fix_aspect_ratio, get_crop_warp_matrix,
                       inplane_rotation_matrix, rotate_global_orient)


@TRANSFORMS.register_module()
class TopdownHumanAffine(BaseTransform):
    """Warp the person box to the network input and move the labels along.

    The box (``bbox_center``, ``bbox_scale`` enlarged to the input's aspect
    ratio) turned by ``rotation`` degrees is resized to ``input_size`` with
    one affine warp (conventions in :mod:`.geometry`):

    - ``keypoints2d`` (COCO-17) go through the same affine into crop pixels;
      those landing outside ``[0, W) x [0, H)`` get confidence 0, and
      absent keypoints keep zero coordinates;
    - ``keypoints3d`` and the SMPL global orientation turn about the camera
      z axis by the in-plane rotation (the body pose is unchanged);
    - ``keypoints2d_img`` stay in original-image pixels;
    - ``warp_mat`` ``(2, 3)`` (original image -> crop) is stored.

    Required keys: ``img``, ``bbox_center``, ``bbox_scale``. Modified keys:
    ``img``, ``img_shape``, ``bbox_scale``, ``keypoints2d``, ``keypoints3d``,
    ``smpl_pose``. Added keys: ``warp_mat``, ``rotation`` (if absent).

    Args:
        input_size: ``(W, H)`` of the network input, e.g. ``(224, 224)``.
        interpolation: ``'bilinear'`` or ``'nearest'``.
    """

    _INTERPOLATION = dict(bilinear=cv2.INTER_LINEAR, nearest=cv2.INTER_NEAREST)

    def __init__(self,
                 input_size: Union[int, Sequence[int]] = (224, 224),
                 interpolation: str = 'bilinear') -> None:
        if isinstance(input_size, int):
            input_size = (input_size, input_size)
        if len(input_size) != 2 or min(input_size) <= 0:
            raise ValueError(f'input_size must be (W, H); got {input_size}')
        if interpolation not in self._INTERPOLATION:
            raise ValueError(f'interpolation must be one of '
                             f'{sorted(self._INTERPOLATION)}')
        self.input_size: Tuple[int,
                               int] = (int(input_size[0]), int(input_size[1]))
        self.interpolation = interpolation

    def transform(self, results: dict) -> dict:
        w, h = self.input_size
        rotation = float(results.get('rotation', 0.0))
        scale = fix_aspect_ratio(results['bbox_scale'], w / h)
        mat = get_crop_warp_matrix(results['bbox_center'], scale, rotation,
                                   (w, h))
        results['img'] = cv2.warpAffine(
            results['img'],
            mat, (w, h),
            flags=self._INTERPOLATION[self.interpolation],
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0)
        results['img_shape'] = (h, w)
        results['bbox_scale'] = scale
        results['warp_mat'] = mat
        results['rotation'] = rotation

        if 'keypoints2d' in results:
            kp = np.array(results['keypoints2d'], dtype=np.float32)
            kp[:, :2] = apply_affine(kp[:, :2], mat)
            inside = ((kp[:, 0] >= 0) & (kp[:, 0] < w) & (kp[:, 1] >= 0) &
                      (kp[:, 1] < h))
            kp[~inside, 2] = 0
            kp[kp[:, 2] <= 0, :2] = 0
            results['keypoints2d'] = kp
        if rotation != 0:
            if 'keypoints3d' in results:
                kp3d = np.array(results['keypoints3d'], dtype=np.float32)
                rot = inplane_rotation_matrix(rotation)
                kp3d[:, :3] = kp3d[:, :3] @ rot.T
                results['keypoints3d'] = kp3d
            if 'smpl_pose' in results:
                pose = np.array(results['smpl_pose'], dtype=np.float32)
                pose[:3] = rotate_global_orient(pose[:3], rotation)
                results['smpl_pose'] = pose
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(input_size={self.input_size}, '
                f"interpolation='{self.interpolation}')")
