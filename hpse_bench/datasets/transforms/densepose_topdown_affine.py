"""Top-down crop of a person image with its DensePose annotation."""
import cv2
import numpy as np
from mmpose.datasets.transforms import TopdownAffine
from mmpose.structures.bbox import get_udp_warp_matrix, get_warp_matrix

from hpse_bench.registry import TRANSFORMS


@TRANSFORMS.register_module()
class DensePoseTopdownAffine(TopdownAffine):
    """mmpose's ``TopdownAffine`` that also warps the DensePose annotation.

    The image and keypoints are cropped by mmpose's ``TopdownAffine`` (box
    centre, scale and optional rotation from the augmentations before it).
    The same affine map takes the DensePose points to network-input pixels,
    and, composed with ``dp_segm_to_img``, resamples the coarse label map
    from its 256 x 256 box frame straight into the input frame (nearest
    neighbour, background outside the box). Points that leave the crop are
    dropped. Afterwards ``dp_segm`` has the input size and
    ``dp_segm_to_img`` is the identity.

    Required keys: those of mmpose's ``TopdownAffine`` and, when present,
    ``dp_points``, ``dp_I``, ``dp_U``, ``dp_V``, ``dp_segm``,
    ``dp_segm_to_img``.

    Modified keys: those of mmpose's ``TopdownAffine`` and the DensePose
    keys.

    Args:
        input_size: network input ``(w, h)``.
        use_udp: unbiased data processing (Huang et al., CVPR 2020), as in
            mmpose.
    """

    def transform(self, results: dict) -> dict:
        results = super().transform(results)
        if 'dp_points' not in results:
            return results
        w, h = self.input_size
        rot = (results['bbox_rotation'][0]
               if 'bbox_rotation' in results else 0.)
        # The map mmpose's TopdownAffine applied (it does not store it).
        if self.use_udp:
            warp_mat = get_udp_warp_matrix(
                results['input_center'], results['input_scale'], rot,
                output_size=(w, h))
        else:
            warp_mat = get_warp_matrix(
                results['input_center'], results['input_scale'], rot,
                output_size=(w, h))
        warp_mat = np.vstack([warp_mat, [0., 0., 1.]])

        points = results['dp_points']
        points = (points @ warp_mat[:2, :2].T + warp_mat[:2, 2]).astype(
            np.float32)
        inside = ((points[:, 0] >= 0) & (points[:, 0] <= w - 1)
                  & (points[:, 1] >= 0) & (points[:, 1] <= h - 1))
        results['dp_points'] = points[inside]
        for key in ('dp_I', 'dp_U', 'dp_V'):
            results[key] = results[key][inside]

        segm_to_input = warp_mat @ np.vstack(
            [results['dp_segm_to_img'], [0., 0., 1.]])
        results['dp_segm'] = cv2.warpAffine(
            results['dp_segm'],
            segm_to_input[:2], (int(w), int(h)),
            flags=cv2.INTER_NEAREST,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0)
        results['dp_segm_to_img'] = np.eye(2, 3, dtype=np.float32)
        return results
