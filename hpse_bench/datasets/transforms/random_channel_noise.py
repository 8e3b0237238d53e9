"""SPIN's per-channel pixel noise."""
import numpy as np
from mmcv.transforms import BaseTransform

from hpse_bench.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomChannelNoise(BaseTransform):
    """Multiply each colour channel by ``U(1 - f, 1 + f)``, ``f`` the noise
    factor.

    SPIN's (Kolotouros et al., ICCV 2019) pixel noise, also used by PARE:
    one factor per channel and image, values clipped to ``[0, 255]``. Put it
    after :class:`TopdownHumanAffine` so that only the crop is touched.

    Required keys: ``img`` (uint8). Modified keys: ``img`` (uint8).

    Args:
        noise_factor: SPIN's 0.4.
    """

    def __init__(self, noise_factor: float = 0.4) -> None:
        if not 0 <= noise_factor <= 1:
            raise ValueError(
                f'noise_factor must be in [0, 1]; got {noise_factor}')
        self.noise_factor = noise_factor

    def transform(self, results: dict) -> dict:
        img = results['img']
        factor = np.random.uniform(1 - self.noise_factor,
                                   1 + self.noise_factor, img.shape[-1])
        noisy = img.astype(np.float32) * factor.astype(np.float32)
        results['img'] = np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(noise_factor={self.noise_factor})'
