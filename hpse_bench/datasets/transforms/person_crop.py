from typing import Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from hpse_bench.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PersonCrop(BaseTransform):
    """Crop one person from the image at a fixed size and aspect ratio.

    The box is enlarged by ``padding``, widened or heightened to the aspect
    ratio of ``input_size`` about its centre, and warped to ``input_size``
    (the top-down crop of Xiao et al., ECCV 2018). Coordinates follow the
    pixel-centre convention: the box edge ``x0`` lands at ``-0.5``, the
    centre of the first output pixel at 0.

    Required keys: ``img``, ``bbox`` (4,) xyxy; optional ``keypoints``
    (K, 2), ``keypoints_visible`` (K,).

    Modified keys: ``img``, ``img_shape``, ``keypoints``,
    ``keypoints_visible`` (keypoints outside the crop become invisible).

    Added keys: ``bbox_center`` (2,), ``bbox_scale`` (2,) (the enlarged box
    size in pixels), ``warp_mat`` (2, 3) original image -> crop.

    Args:
        input_size: ``(w, h)`` of the crop.
        padding: box enlargement factor.
    """

    def __init__(self,
                 input_size: Sequence[int] = (192, 256),
                 padding: float = 1.25) -> None:
        if len(input_size) != 2 or min(input_size) <= 0:
            raise ValueError(f'input_size must be (w, h), got {input_size}')
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.padding = padding

    def _box_center_scale(self, bbox: np.ndarray):
        x0, y0, x1, y1 = (float(v) for v in bbox)
        center = np.array([(x0 + x1) / 2, (y0 + y1) / 2], dtype=np.float32)
        box_w = max(x1 - x0, 1.0) * self.padding
        box_h = max(y1 - y0, 1.0) * self.padding
        aspect = self.input_size[0] / self.input_size[1]
        if box_w > box_h * aspect:
            box_h = box_w / aspect
        else:
            box_w = box_h * aspect
        return center, np.array([box_w, box_h], dtype=np.float32)

    def transform(self, results: dict) -> dict:
        if 'bbox' not in results:
            raise KeyError('PersonCrop needs "bbox" (xyxy) in the results; '
                           f'got keys {sorted(results)}')
        bbox = np.asarray(results['bbox'], dtype=np.float32).reshape(-1)
        if bbox.shape != (4, ):
            raise ValueError(f'"bbox" must be 4 numbers (xyxy), got {bbox}')
        out_w, out_h = self.input_size
        center, scale = self._box_center_scale(bbox)
        s = out_w / scale[0]
        # Centre -> ((out_w - 1) / 2, (out_h - 1) / 2), isotropic scale s.
        warp_mat = np.array(
            [[s, 0, (out_w - 1) / 2 - s * center[0]],
             [0, s, (out_h - 1) / 2 - s * center[1]]],
            dtype=np.float32)
        results['img'] = cv2.warpAffine(
            results['img'],
            warp_mat, (out_w, out_h),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0)
        results['img_shape'] = (out_h, out_w)
        results['bbox_center'] = center
        results['bbox_scale'] = scale
        results['warp_mat'] = warp_mat
        if 'keypoints' in results:
            kpts = np.asarray(results['keypoints'], dtype=np.float32)
            kpts = kpts @ warp_mat[:, :2].T + warp_mat[:, 2]
            visible = np.asarray(
                results.get('keypoints_visible', np.ones(len(kpts))),
                dtype=np.float32)
            results['keypoints'] = kpts.astype(np.float32)
            results['keypoints_visible'] = visible * inside_image(
                kpts, (out_h, out_w))
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(input_size={self.input_size}, '
                f'padding={self.padding})')


def inside_image(points: np.ndarray, image_shape: Sequence[int]) -> np.ndarray:
    """1.0 for points inside an ``(h, w)`` image (pixel-centre convention:
    ``[-0.5, w - 0.5)``), else 0.0."""
    h, w = image_shape[:2]
    inside = ((points[..., 0] >= -0.5) & (points[..., 0] < w - 0.5)
              & (points[..., 1] >= -0.5) & (points[..., 1] < h - 0.5))
    return inside.astype(np.float32)
