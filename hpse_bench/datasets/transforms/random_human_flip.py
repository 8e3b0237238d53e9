"""Horizontal flip of a person sample and all of its labels."""
import numpy as np
from mmcv.transforms import BaseTransform

from hpse_bench.registry import TRANSFORMS
from hpse_bench.structures.conventions import FLIP_INDICES, flip_smpl_pose


@TRANSFORMS.register_module()
class RandomHumanFlip(BaseTransform):
    """Mirror the image and every label left-right with probability ``prob``.

    Runs on the original image, before :class:`TopdownHumanAffine` (as
    mmhuman3d's ``RandomHorizontalFlip``); the crop is then taken from the
    mirrored image, so ``warp_mat`` and ``keypoints2d_img`` refer to it.

    - image columns reversed; a pixel coordinate ``x`` becomes
      ``W - 1 - x`` (box centre, 2D keypoints, principal point);
    - 2D keypoints permuted with ``FLIP_INDICES`` (``coco_17`` for
      ``keypoints2d``, ``h36m_17`` for ``keypoints2d_img``);
    - 3D keypoints (camera frame): ``x -> -x`` and left/right swapped;
    - SMPL pose: ``conventions.flip_smpl_pose`` (left/right swapped,
      axis-angle ``(a, b, c) -> (a, -b, -c)``).

    ``results['flip']`` is toggled, so two flips restore the sample.
    Absent keypoints (confidence 0) keep zero coordinates.

    Required keys: ``img``. Modified keys: ``img``, ``bbox_center``,
    ``keypoints2d``, ``keypoints2d_img``, ``keypoints3d``, ``smpl_pose``,
    ``principal_point`` (those present), ``flip``.

    Args:
        prob: flip probability (SPIN: 0.5).
    """

    def __init__(self, prob: float = 0.5) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1]; got {prob}')
        self.prob = prob

    def transform(self, results: dict) -> dict:
        if 'warp_mat' in results:
            raise RuntimeError('RandomHumanFlip flips the original image; '
                               'put it before TopdownHumanAffine')
        if np.random.rand() >= self.prob:
            return results
        img = results['img']
        width = img.shape[1]
        results['img'] = np.ascontiguousarray(img[:, ::-1])
        center = np.array(results['bbox_center'], dtype=np.float32)
        center[0] = width - 1 - center[0]
        results['bbox_center'] = center
        if 'principal_point' in results:
            pp = np.array(results['principal_point'], dtype=np.float32)
            pp[0] = width - 1 - pp[0]
            results['principal_point'] = pp
        for key, convention in (('keypoints2d', 'coco_17'), ('keypoints2d_img',
                                                             'h36m_17')):
            if key in results:
                kp = np.array(results[key], dtype=np.float32)
                kp = kp[FLIP_INDICES[convention]]
                kp[:, 0] = width - 1 - kp[:, 0]
                kp[kp[:, 2] <= 0, :2] = 0
                results[key] = kp
        if 'keypoints3d' in results:
            kp = np.array(results['keypoints3d'], dtype=np.float32)
            kp = kp[FLIP_INDICES['h36m_17']]
            kp[:, 0] = -kp[:, 0]
            results['keypoints3d'] = kp
        if 'smpl_pose' in results:
            results['smpl_pose'] = flip_smpl_pose(
                np.asarray(results['smpl_pose'], dtype=np.float32))
        results['flip'] = not results.get('flip', False)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob})'
