"""Horizontal flip of a person image with its DensePose annotation."""
from typing import Union

import numpy as np
from mmpose.datasets.transforms import RandomFlip

from hpse_bench.registry import TRANSFORMS
from hpse_bench.structures.densepose_symmetry import DensePoseSymmetry


@TRANSFORMS.register_module()
class DensePoseRandomFlip(RandomFlip):
    """mmpose's horizontal ``RandomFlip`` that also mirrors DensePose labels.

    The image, box and keypoints are flipped by mmpose's ``RandomFlip``.
    The DensePose annotation (see ``CocoDensePoseDataset``) is mirrored the
    same way, ``x -> w - 1 - x`` in image pixels, and its labels follow the
    mirrored body (detectron2's DensePose flip): left and right charts and
    coarse parts swap, and ``(U, V)`` is mapped by ``uv_symmetry`` (see
    :class:`~hpse_bench.structures.DensePoseSymmetry`): ``'embedded'`` for
    the embedded synthetic data, whose cylinder-like charts take
    ``U -> 1 - U`` (``V`` kept) everywhere but on the hands and head, where
    ``U`` is kept; DensePose's ``UV_symmetry_transforms.mat`` for real
    COCO-DensePose. Flipping twice gives back the input.

    The coarse label map stays in its 256 x 256 box frame: only its affine
    map to the image (``dp_segm_to_img``) is mirrored, and its labels are
    swapped; ``DensePoseTopdownAffine`` then resamples it once.

    Must come before ``DensePoseTopdownAffine``.

    Required keys: those of mmpose's ``RandomFlip``, ``has_densepose``,
    ``dp_points``, ``dp_I``, ``dp_U``, ``dp_V``, ``dp_segm``,
    ``dp_segm_to_img``.

    Modified keys: those of mmpose's ``RandomFlip`` and the DensePose keys.

    Args:
        uv_symmetry: how chart coordinates mirror: ``'embedded'``,
            ``'mirror_u'``, ``'keep'`` or the path of DensePose's
            ``UV_symmetry_transforms.mat``.
        prob: flip probability.
    """

    def __init__(self,
                 uv_symmetry: str,
                 prob: Union[float, list] = 0.5) -> None:
        super().__init__(prob=prob, direction='horizontal')
        self.symmetry = DensePoseSymmetry(uv_symmetry)

    def transform(self, results: dict) -> dict:
        if 'input_size' in results:
            raise RuntimeError(
                f'{self.__class__.__name__} must come before the top-down '
                'affine transform (found "input_size" in the results)')
        results = super().transform(results)
        if results['flip'] and 'dp_points' in results:
            self.flip_densepose(results, width=results['img_shape'][1])
        return results

    def flip_densepose(self, results: dict, width: int) -> None:
        """Mirror the DensePose fields of ``results`` in place.

        Args:
            results: the pipeline results.
            width: image width in pixels; ``x`` maps to ``width - 1 - x``,
                as mmpose flips keypoints and images.
        """
        points = results['dp_points'].copy()
        points[:, 0] = width - 1 - points[:, 0]
        results['dp_points'] = points

        charts = results['dp_I']
        u, v = self.symmetry.flip_uv(charts, results['dp_U'],
                                     results['dp_V'])
        results['dp_I'] = self.symmetry.flip_charts(charts)
        results['dp_U'], results['dp_V'] = u, v

        mirror = np.array([[-1., 0., width - 1.], [0., 1., 0.], [0., 0., 1.]])
        segm_to_img = np.vstack([results['dp_segm_to_img'], [0., 0., 1.]])
        results['dp_segm_to_img'] = (mirror @ segm_to_img)[:2].astype(
            np.float32)
        results['dp_segm'] = self.symmetry.flip_coarse(results['dp_segm'])

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'uv_symmetry={self.symmetry.uv_symmetry!r})')
