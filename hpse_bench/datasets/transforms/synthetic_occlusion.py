"""Opaque occluders pasted over a person crop."""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from hpse_bench.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SyntheticOcclusion(BaseTransform):
    """Hide parts of the person behind textured boxes and ellipses.

    The synthetic stand-in for Occlusion-Person (Zhang et al., AdaFuse,
    IJCV 2021), where furniture hides about a fifth of the joints: each
    occluder is centred near a random labelled joint of the crop (so that
    joints, not background, get hidden), with a random size, aspect ratio,
    angle, colour and low-frequency texture. Labels are left unchanged, as
    Occlusion-Person keeps the 3D positions of hidden joints; the occluded
    pixels are what changes. The same idea as Sarandi et al.'s synthetic
    occlusion augmentation ("How robust is 3D human pose estimation to
    occlusion?", IROS workshops 2018), with procedural shapes instead of
    Pascal VOC objects.

    Put it after :class:`TopdownHumanAffine` (it draws on the crop, around
    the crop-pixel ``keypoints2d``).

    Required keys: ``img`` (uint8), ``keypoints2d`` (``(K, 3)`` crop
    pixels, confidence third); ``sample_idx`` when ``seed`` is set.
    Modified keys: ``img``. Added keys: ``num_occluders``.

    Args:
        num_occluders: ``(min, max)`` occluders per crop.
        size_range: ``(min, max)`` occluder size as a fraction of the crop
            side (the geometric mean of its two axes).
        prob: chance that a crop is occluded at all.
        seed: None to draw from numpy's global generator (training; MMEngine
            seeds it per worker), or an int to draw from a generator seeded
            by ``(seed, sample_idx)``, so that a test set gets the same
            occluders in every run and on every rank.
    """

    def __init__(self,
                 num_occluders: Sequence[int] = (1, 3),
                 size_range: Sequence[float] = (0.15, 0.4),
                 prob: float = 1.0,
                 seed: Optional[int] = None) -> None:
        lo, hi = (int(v) for v in num_occluders)
        if not 0 <= lo <= hi:
            raise ValueError(f'num_occluders must be (min, max) with '
                             f'0 <= min <= max, got {num_occluders}')
        smin, smax = (float(v) for v in size_range)
        if not 0 < smin <= smax:
            raise ValueError(f'size_range must be (min, max) with '
                             f'0 < min <= max, got {size_range}')
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.num_occluders: Tuple[int, int] = (lo, hi)
        self.size_range: Tuple[float, float] = (smin, smax)
        self.prob = float(prob)
        self.seed = seed

    def _rng(self, results: dict) -> np.random.Generator:
        if self.seed is None:
            return np.random.default_rng(np.random.randint(0, 2**31 - 1))
        if 'sample_idx' not in results:
            raise KeyError('SyntheticOcclusion(seed=...) draws per sample '
                           'and needs "sample_idx" in the results (set by '
                           'HumanImageDataset)')
        return np.random.default_rng(
            [int(self.seed), int(results['sample_idx'])])

    @staticmethod
    def _texture(rng: np.random.Generator, height: int,
                 width: int) -> np.ndarray:
        """A base colour modulated by smooth noise, ``(H, W, 3)`` float."""
        base = rng.uniform(20, 235, size=3)
        coarse = rng.normal(0.0, 35.0, size=(4, 4, 3)).astype(np.float32)
        noise = cv2.resize(coarse, (width, height),
                           interpolation=cv2.INTER_CUBIC)
        return np.clip(base[None, None] + noise, 0, 255)

    def transform(self, results: dict) -> dict:
        rng = self._rng(results)
        img = results['img']
        height, width = img.shape[:2]
        count = 0
        if rng.random() < self.prob:
            count = int(
                rng.integers(self.num_occluders[0], self.num_occluders[1] + 1))
        if count == 0:
            results['num_occluders'] = 0
            return results
        kpts = np.asarray(results['keypoints2d'], dtype=np.float64)
        anchors = kpts[kpts[:, 2] > 0, :2]
        if len(anchors) == 0:
            anchors = np.array([[(width - 1) / 2.0, (height - 1) / 2.0]])
        side = float(min(height, width))
        out = img.astype(np.float32)
        for _ in range(count):
            centre = anchors[rng.integers(
                len(anchors))] + rng.uniform(-0.05, 0.05, size=2) * side
            size = rng.uniform(*self.size_range) * side
            aspect = np.exp(rng.uniform(np.log(0.5), np.log(2.0)))
            axes = (size * np.sqrt(aspect) / 2, size / np.sqrt(aspect) / 2)
            angle = float(rng.uniform(0, 180))
            mask = np.zeros((height, width), np.uint8)
            if rng.random() < 0.5:
                box = ((float(centre[0]), float(centre[1])),
                       (2 * axes[0], 2 * axes[1]), angle)
                cv2.fillConvexPoly(
                    mask,
                    np.round(cv2.boxPoints(box)).astype(np.int32), 1)
            else:
                cv2.ellipse(
                    mask, (int(round(centre[0])), int(round(centre[1]))),
                    (max(1, int(round(axes[0]))), max(1, int(round(axes[1])))),
                    angle, 0, 360, 1, -1)
            hit = mask.astype(bool)
            out[hit] = self._texture(rng, height, width)[hit]
        results['img'] = np.clip(np.rint(out), 0, 255).astype(img.dtype)
        results['num_occluders'] = count
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_occluders='
                f'{self.num_occluders}, size_range={self.size_range}, '
                f'prob={self.prob}, seed={self.seed})')
