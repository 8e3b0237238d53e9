"""Random scale, rotation and shift of the person box (SPIN's jitter)."""
import numpy as np
from mmcv.transforms import BaseTransform

from hpse_bench.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomHumanBBoxTransform(BaseTransform):
    """Jitter the crop box as SPIN (Kolotouros et al., ICCV 2019) does.

    - scale: ``bbox_scale *= clip(1 + N(0, 1) * scale_factor,
      1 - scale_factor, 1 + scale_factor)``;
    - rotation: ``clip(N(0, 1) * rotate_factor, -2 * rotate_factor,
      2 * rotate_factor)`` degrees with probability ``rotate_prob``, else 0.
      SPIN and PARE zero the rotation with probability 0.6, i.e. rotate
      with probability 0.4 (mmhuman3d's ``GetRandomScaleRotation`` rotates
      with its ``rot_prob=0.6``);
    - shift (not in SPIN; off by default): with probability ``shift_prob``
      the centre moves by ``U(-1, 1) * shift_factor * bbox_scale``.

    The warp itself is :class:`TopdownHumanAffine`, which turns 3D keypoints
    and the SMPL global orientation with the image.

    Required keys: ``bbox_center``, ``bbox_scale``. Modified keys:
    ``bbox_center``, ``bbox_scale``, ``rotation``.

    Args:
        scale_factor: SPIN's 0.25.
        rotate_factor: SPIN's 30 degrees.
        rotate_prob: probability of a non-zero rotation.
        shift_factor: shift as a share of the box size.
        shift_prob: probability of a shift.
    """

    def __init__(self,
                 scale_factor: float = 0.25,
                 rotate_factor: float = 30.0,
                 rotate_prob: float = 0.4,
                 shift_factor: float = 0.0,
                 shift_prob: float = 0.0) -> None:
        for name, p in (('rotate_prob', rotate_prob), ('shift_prob',
                                                       shift_prob)):
            if not 0 <= p <= 1:
                raise ValueError(f'{name} must be in [0, 1]; got {p}')
        if not 0 <= scale_factor < 1:
            raise ValueError(
                f'scale_factor must be in [0, 1); got {scale_factor}')
        self.scale_factor = scale_factor
        self.rotate_factor = rotate_factor
        self.rotate_prob = rotate_prob
        self.shift_factor = shift_factor
        self.shift_prob = shift_prob

    def transform(self, results: dict) -> dict:
        sf, rf = self.scale_factor, self.rotate_factor
        scale = np.array(results['bbox_scale'], dtype=np.float32)
        center = np.array(results['bbox_center'], dtype=np.float32)
        factor = np.clip(np.random.randn() * sf + 1, 1 - sf, 1 + sf)
        scale = scale * factor
        if np.random.rand() < self.shift_prob:
            center = center + (
                np.random.uniform(-1, 1, 2) * self.shift_factor * scale)
        rotation = 0.0
        if np.random.rand() < self.rotate_prob:
            rotation = float(np.clip(np.random.randn() * rf, -2 * rf, 2 * rf))
        results['bbox_scale'] = scale.astype(np.float32)
        results['bbox_center'] = center.astype(np.float32)
        results['rotation'] = rotation
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale_factor={self.scale_factor}'
                f', rotate_factor={self.rotate_factor}, rotate_prob='
                f'{self.rotate_prob}, shift_factor={self.shift_factor}, '
                f'shift_prob={self.shift_prob})')
