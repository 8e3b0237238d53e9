from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from hpse_bench.registry import TRANSFORMS
from .person_crop import inside_image


def view_warp_matrix(image_size: Sequence[int], rotation: float,
                     translation: Sequence[float], scale: float,
                     flip: bool) -> np.ndarray:
    """The (2, 3) affine map of one augmented view, crop -> view.

    Applied in this order, in pixel-centre coordinates about the image
    centre ``c = ((w - 1) / 2, (h - 1) / 2)``: horizontal flip
    ``x -> w - 1 - x``; rotation by ``rotation`` degrees and isotropic
    scaling by ``scale`` (``cv2.getRotationMatrix2D``'s convention: positive
    angles turn the image counter-clockwise on screen); translation by
    ``(tx * w, ty * h)``.

    Args:
        image_size: ``(w, h)``.
        rotation: degrees.
        translation: ``(tx, ty)`` as fractions of the image width/height.
        scale: zoom factor (> 1 enlarges the person).
        flip: mirror horizontally first.
    """
    w, h = image_size
    c = np.array([(w - 1) / 2, (h - 1) / 2])
    rot = cv2.getRotationMatrix2D((float(c[0]), float(c[1])),
                                  float(rotation), float(scale))
    rot[:, 2] += (translation[0] * w, translation[1] * h)
    if flip:
        mirror = np.array([[-1.0, 0.0, w - 1.0], [0.0, 1.0, 0.0]])
        rot = rot @ np.vstack([mirror, [0.0, 0.0, 1.0]])
    return rot.astype(np.float32)


@TRANSFORMS.register_module()
class KeypointMultiView(BaseTransform):
    """Several augmented views of a person crop, keypoints carried along.

    Each view draws its own geometric transform (rotation, scale,
    translation, horizontal flip; see :func:`view_warp_matrix`), applies it
    to the image, the keypoints (left/right swapped on a flip) and, when
    present, the segment map ``segments`` (nearest neighbour, -1 outside),
    then runs the appearance pipeline (colour jitter, grey scale, blur, ...)
    on the image. The transform of every view is recorded so that PeCLR
    (Spurr et al., ICCV 2021) can undo it in the embedding space.

    Required keys: ``img`` (the person crop); optional ``keypoints`` (K, 2),
    ``keypoints_visible`` (K,), ``segments`` (H, W) int.

    Modified keys (a list / a leading view axis ``V``): ``img`` (list of V
    images), ``keypoints`` (V, K, 2), ``keypoints_visible`` (V, K) (joints
    leaving the view become invisible), ``segments`` (V, H, W).

    Added keys: ``view_rotation`` (V,) degrees, ``view_translation`` (V, 2)
    fractions of (w, h), ``view_scale`` (V,), ``view_flip`` (V,) bool,
    ``view_warp_mat`` (V, 2, 3) crop -> view.

    Args:
        num_views: number of views.
        rotate_range: rotation drawn uniformly from ``[-r, r]`` degrees.
        scale_range: zoom drawn uniformly from this range.
        translate_ratio: ``tx, ty`` drawn uniformly from ``[-t, t]``.
        flip_prob: probability of a horizontal flip.
        flip_indices: keypoint permutation of a flip; defaults to the
            dataset's ``flip_indices`` meta field.
        view_pipeline: appearance transforms run on each view (configs of
            e.g. ``mmpretrain.ColorJitter``); they must not move pixels.
    """

    def __init__(self,
                 num_views: int = 2,
                 rotate_range: float = 0.0,
                 scale_range: Tuple[float, float] = (1.0, 1.0),
                 translate_ratio: float = 0.0,
                 flip_prob: float = 0.0,
                 flip_indices: Optional[Sequence[int]] = None,
                 view_pipeline: Optional[List[dict]] = None) -> None:
        if num_views < 1:
            raise ValueError(f'num_views must be >= 1, got {num_views}')
        if not 0 < scale_range[0] <= scale_range[1]:
            raise ValueError(f'bad scale_range {scale_range}')
        self.num_views = num_views
        self.rotate_range = float(rotate_range)
        self.scale_range = (float(scale_range[0]), float(scale_range[1]))
        self.translate_ratio = float(translate_ratio)
        self.flip_prob = float(flip_prob)
        self.flip_indices = None if flip_indices is None else list(
            flip_indices)
        self.view_pipeline = [
            t if callable(t) else TRANSFORMS.build(t)
            for t in (view_pipeline or [])
        ]

    def _sample_params(self) -> Tuple[float, np.ndarray, float, bool]:
        rotation = float(
            np.random.uniform(-self.rotate_range, self.rotate_range))
        translation = np.random.uniform(
            -self.translate_ratio, self.translate_ratio, size=2)
        scale = float(np.random.uniform(*self.scale_range))
        flip = bool(np.random.rand() < self.flip_prob)
        return rotation, translation, scale, flip

    def _appearance(self, img: np.ndarray) -> np.ndarray:
        results = dict(img=img, img_shape=img.shape[:2])
        for t in self.view_pipeline:
            results = t(results)
            if results is None:
                raise RuntimeError(f'view transform {t} dropped the sample')
        return results['img']

    def transform(self, results: dict) -> dict:
        img = results['img']
        h, w = img.shape[:2]
        has_kpts = 'keypoints' in results
        has_segments = 'segments' in results
        if has_kpts:
            kpts = np.asarray(results['keypoints'], dtype=np.float32)
            visible = np.asarray(
                results.get('keypoints_visible', np.ones(len(kpts))),
                dtype=np.float32)
            flip_indices = self.flip_indices or results.get('flip_indices')
        views, view_kpts, view_vis, view_segs = [], [], [], []
        params = dict(rotation=[], translation=[], scale=[], flip=[], mat=[])
        for _ in range(self.num_views):
            rotation, translation, scale, flip = self._sample_params()
            if flip and has_kpts and flip_indices is None:
                raise KeyError('KeypointMultiView flips keypoints but knows '
                               'no flip_indices (pass them or use a dataset '
                               'with a "flip_indices" meta field)')
            mat = view_warp_matrix((w, h), rotation, translation, scale, flip)
            view = cv2.warpAffine(
                img,
                mat, (w, h),
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_CONSTANT,
                borderValue=0)
            views.append(self._appearance(view))
            if has_kpts:
                k = kpts @ mat[:, :2].T + mat[:, 2]
                v = visible * inside_image(k, (h, w))
                if flip:
                    # Mirrored, the left wrist is where the right one was.
                    k, v = k[flip_indices], v[flip_indices]
                view_kpts.append(k.astype(np.float32))
                view_vis.append(v.astype(np.float32))
            if has_segments:
                seg = cv2.warpAffine(
                    results['segments'].astype(np.float32),
                    mat, (w, h),
                    flags=cv2.INTER_NEAREST,
                    borderMode=cv2.BORDER_CONSTANT,
                    borderValue=-1)
                view_segs.append(seg.astype(np.int32))
            params['rotation'].append(rotation)
            params['translation'].append(translation)
            params['scale'].append(scale)
            params['flip'].append(flip)
            params['mat'].append(mat)

        results['img'] = views
        results['img_shape'] = (h, w)
        if has_kpts:
            results['keypoints'] = np.stack(view_kpts)
            results['keypoints_visible'] = np.stack(view_vis)
        if has_segments:
            results['segments'] = np.stack(view_segs)
        results['view_rotation'] = np.asarray(
            params['rotation'], dtype=np.float32)
        results['view_translation'] = np.asarray(
            params['translation'], dtype=np.float32)
        results['view_scale'] = np.asarray(params['scale'], dtype=np.float32)
        results['view_flip'] = np.asarray(params['flip'], dtype=bool)
        results['view_warp_mat'] = np.stack(params['mat'])
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_views={self.num_views}, '
                f'rotate_range={self.rotate_range}, '
                f'scale_range={self.scale_range}, '
                f'translate_ratio={self.translate_ratio}, '
                f'flip_prob={self.flip_prob}, '
                f'view_pipeline={self.view_pipeline})')
