"""COCO-DensePose: COCO person boxes with DensePose annotations."""
from typing import List, Optional, Tuple

import numpy as np
import pycocotools.mask as mask_utils
from mmpose.datasets import CocoDataset

from hpse_bench.registry import DATASETS
from hpse_bench.structures.conventions import (NUM_DENSEPOSE_CHARTS,
                                               NUM_DENSEPOSE_COARSE)
from .coco_annotations import AnnotationError, load_topdown_instances

# Keys of the DensePose annotation of one person (Gueler et al., CVPR 2018).
DP_POINT_KEYS = ('dp_x', 'dp_y', 'dp_I', 'dp_U', 'dp_V')
DP_MASK_KEY = 'dp_masks'
DP_KEYS = DP_POINT_KEYS + (DP_MASK_KEY, )
# Side of the box frame of dp_x / dp_y and of the dp_masks.
DP_BOX_SIZE = 256


@DATASETS.register_module()
class CocoDensePoseDataset(CocoDataset):
    """Top-down person crops of COCO with their DensePose annotations.

    Reads a COCO-style JSON whose person annotations may carry the
    COCO-DensePose fields (Gueler et al., "DensePose: Dense Human Pose
    Estimation In The Wild", CVPR 2018):

    - ``dp_x``, ``dp_y``: point positions in a 256 x 256 frame spanning the
      person box, i.e. at continuous image ``x = box_x + dp_x * box_w /
      256`` (detectron2's reading);
    - ``dp_I``: surface chart 1..24, ``dp_U``, ``dp_V``: chart coordinates
      in [0, 1];
    - ``dp_masks``: 14 entries, one per coarse part, each an RLE dict in the
      256 x 256 box frame or ``[]`` when the part is absent.

    The JSON, keypoints, boxes and metainfo are read as by mmpose's
    :class:`~mmpose.datasets.CocoDataset` (xtcocotools, pycocotools' fork);
    the RLE masks are decoded with pycocotools. Crowd annotations are
    dropped. A person without DensePose fields is kept (when it has
    keypoints) with ``has_densepose=False``, and a person with DensePose but
    no labelled keypoint is kept too (mmpose would drop it);
    ``filter_cfg=dict(densepose_only=True)`` keeps only the people with
    DensePose. A person with only some of the fields, or with values out of
    range, is an error that names the file and the annotation id.

    The file is read with the checks of :mod:`.coco_annotations`: only
    ``person`` annotations are used, people with a NaN/inf box or keypoint
    are skipped, both counted and logged; invalid JSON, an image entry
    without ``file_name``/``width``/``height``, an annotation of an unknown
    image id and a ``bbox``/``keypoints`` of the wrong length are errors
    naming the file and the entry.

    Each data info carries, besides mmpose's keys:

    - ``has_densepose`` (bool);
    - ``dp_points``: ``(N, 2)`` float32 points in image pixel-index
      coordinates (pixel ``(row, col)`` is centred at ``(col, row)``, as for
      mmpose's keypoints and OpenCV's warps);
    - ``dp_I`` ``(N,)`` int64, ``dp_U``, ``dp_V`` ``(N,)`` float32;
    - ``dp_segm``: ``(256, 256)`` uint8 label map of the coarse parts (0
      background, part ``k`` of ``dp_masks`` is label ``k + 1``; a later part
      overwrites an earlier one where masks overlap, as in detectron2),
      decoded when the sample is read;
    - ``dp_segm_to_img``: ``(2, 3)`` float32 affine map from ``dp_segm``
      pixel indices to image pixels.

    Args:
        Those of :class:`~mmpose.datasets.CocoDataset`; only
        ``data_mode='topdown'`` is supported. ``filter_cfg`` may hold
        ``densepose_only`` besides mmpose's ``bbox_score_thr``.
    """

    def __init__(self, *args, data_mode: str = 'topdown', **kwargs) -> None:
        if data_mode != 'topdown':
            raise ValueError(f'{self.__class__.__name__} supports '
                             f'data_mode="topdown" only, got "{data_mode}"')
        super().__init__(*args, data_mode=data_mode, **kwargs)

    def _load_annotations(self) -> Tuple[List[dict], List[dict]]:
        """mmpose's loading with the checks of :mod:`.coco_annotations`:
        person category only, NaN people skipped and counted, malformed
        entries named."""
        instances, images, categories = load_topdown_instances(
            self.ann_file, self.data_prefix['img'], self.parse_data_info,
            self.metainfo.get('dataset_name', 'coco_densepose'),
            self.sample_interval)
        self._metainfo['CLASSES'] = categories
        return instances, images

    def parse_data_info(self, raw_data_info: dict) -> Optional[dict]:
        ann = raw_data_info['raw_ann_info']
        num_values = 3 * self.metainfo['num_keypoints']
        for key, size in (('bbox', 4), ('keypoints', num_values)):
            if key in ann and (not isinstance(ann[key], list)
                               or len(ann[key]) != size):
                raise self._error(
                    ann, f'"{key}" must be a list of {size} numbers, got '
                    f'{str(ann[key])[:80]}')
        data_info = super().parse_data_info(raw_data_info)
        if data_info is None:
            return None
        data_info.update(self._parse_densepose(ann))
        # The raw DensePose fields are now in arrays; do not keep them twice.
        for key in DP_KEYS:
            data_info['raw_ann_info'].pop(key, None)
        return data_info

    def _error(self, ann: dict, message: str) -> AnnotationError:
        return AnnotationError(
            f'{self.ann_file}: annotation id {ann.get("id")} (image '
            f'{ann.get("image_id")}): {message}')

    def _points(self, ann: dict, key: str, dtype: type) -> np.ndarray:
        """A DensePose point field as a 1-D array, or an error naming it."""
        try:
            value = np.asarray(ann[key], dtype=dtype)
        except (TypeError, ValueError) as e:
            raise self._error(ann, f'{key} must be a list of numbers: '
                              f'{e}') from e
        if value.ndim != 1:
            raise self._error(
                ann, f'{key} must be a flat list of numbers, got shape '
                f'{value.shape}')
        return value

    def _parse_densepose(self, ann: dict) -> dict:
        present = [k for k in DP_KEYS if k in ann]
        if not present:
            return self._empty_densepose()
        missing = [k for k in DP_KEYS if k not in ann]
        if missing:
            raise self._error(
                ann, f'DensePose annotation incomplete: has {present}, '
                f'lacks {missing}')
        lengths = {k: len(ann[k]) for k in DP_POINT_KEYS}
        if len(set(lengths.values())) != 1:
            raise self._error(
                ann, f'DensePose point fields differ in length: {lengths}')
        dp_x = self._points(ann, 'dp_x', np.float32)
        dp_y = self._points(ann, 'dp_y', np.float32)
        dp_i = self._points(ann, 'dp_I', np.float64)
        dp_u = self._points(ann, 'dp_U', np.float32)
        dp_v = self._points(ann, 'dp_V', np.float32)
        if dp_i.size and (np.any(dp_i != np.round(dp_i)) or dp_i.min() < 1
                          or dp_i.max() > NUM_DENSEPOSE_CHARTS):
            raise self._error(
                ann, f'dp_I must hold integers 1..{NUM_DENSEPOSE_CHARTS}, got '
                f'values in [{dp_i.min()}, {dp_i.max()}]')
        for name, val, high in (('dp_x', dp_x, DP_BOX_SIZE),
                                ('dp_y', dp_y, DP_BOX_SIZE),
                                ('dp_U', dp_u, 1.0), ('dp_V', dp_v, 1.0)):
            if val.size and (not np.all(np.isfinite(val)) or val.min() < 0
                             or val.max() > high):
                raise self._error(
                    ann, f'{name} must lie in [0, {high}], got values in '
                    f'[{val.min()}, {val.max()}]')
        masks = ann[DP_MASK_KEY]
        if not isinstance(masks, list) or len(masks) != NUM_DENSEPOSE_COARSE:
            raise self._error(
                ann, f'dp_masks must be a list of {NUM_DENSEPOSE_COARSE} '
                f'entries (RLE dict or []), got {type(masks).__name__} of '
                f'length {len(masks) if hasattr(masks, "__len__") else "?"}')
        for k, rle in enumerate(masks):
            if isinstance(rle, list) and len(rle) == 0:
                continue
            if not (isinstance(rle, dict) and 'counts' in rle
                    and list(rle.get('size', [])) == [DP_BOX_SIZE] * 2):
                raise self._error(
                    ann, f'dp_masks[{k}] must be [] or an RLE dict of size '
                    f'[{DP_BOX_SIZE}, {DP_BOX_SIZE}], got {str(rle)[:80]}')
            counts = rle['counts']
            # Uncompressed runs must cover the frame exactly; compressed
            # strings are checked when decoded.
            if not (isinstance(counts, str) or
                    (isinstance(counts, list)
                     and all(isinstance(c, int) and c >= 0 for c in counts)
                     and sum(counts) == DP_BOX_SIZE * DP_BOX_SIZE)):
                raise self._error(
                    ann, f'dp_masks[{k}] counts must be a compressed RLE '
                    'string or a list of run lengths summing to '
                    f'{DP_BOX_SIZE * DP_BOX_SIZE}, got {str(counts)[:80]}')

        box_x, box_y, box_w, box_h = (float(c) for c in ann['bbox'])
        sx, sy = box_w / DP_BOX_SIZE, box_h / DP_BOX_SIZE
        # COCO boxes and DensePose points are continuous (image pixel
        # (row, col) covers [col, col + 1)); images are resampled, and
        # keypoints read, in pixel-index coordinates (that pixel's centre is
        # (col, row)), hence the -0.5.
        points = np.stack(
            [box_x + dp_x * sx - 0.5, box_y + dp_y * sy - 0.5],
            axis=1).reshape(-1, 2).astype(np.float32)
        # Mask cell (row, col) covers box coordinates [col, col + 1): its
        # centre is at continuous box_x + (col + 0.5) * sx.
        segm_to_img = np.array(
            [[sx, 0., box_x + 0.5 * sx - 0.5],
             [0., sy, box_y + 0.5 * sy - 0.5]],
            dtype=np.float32)
        return dict(
            has_densepose=True,
            dp_points=points,
            dp_I=dp_i.astype(np.int64),
            dp_U=dp_u,
            dp_V=dp_v,
            dp_masks=masks,
            dp_segm_to_img=segm_to_img)

    @staticmethod
    def _empty_densepose() -> dict:
        return dict(
            has_densepose=False,
            dp_points=np.zeros((0, 2), dtype=np.float32),
            dp_I=np.zeros((0, ), dtype=np.int64),
            dp_U=np.zeros((0, ), dtype=np.float32),
            dp_V=np.zeros((0, ), dtype=np.float32),
            dp_masks=None,
            dp_segm_to_img=np.array([[1., 0., 0.], [0., 1., 0.]],
                                    dtype=np.float32))

    @staticmethod
    def decode_coarse_masks(masks: Optional[List]) -> np.ndarray:
        """Merge the 14 RLE part masks into one ``(256, 256)`` label map.

        Args:
            masks: ``dp_masks`` of one person, or None (all background).
        """
        segm = np.zeros((DP_BOX_SIZE, DP_BOX_SIZE), dtype=np.uint8)
        if masks is None:
            return segm
        for k, rle in enumerate(masks):
            if not rle:
                continue
            if isinstance(rle['counts'], list):  # uncompressed RLE
                rle = mask_utils.frPyObjects(rle, *rle['size'])
            try:
                mask = mask_utils.decode(rle)
            except (ValueError, TypeError) as e:
                raise ValueError(f'dp_masks[{k}] cannot be decoded: '
                                 f'{e}') from e
            if mask.shape != segm.shape:
                raise ValueError(f'dp_masks[{k}] decodes to shape '
                                 f'{mask.shape}, expected {segm.shape}')
            segm[mask > 0] = k + 1
        return segm

    def get_data_info(self, idx: int) -> dict:
        data_info = super().get_data_info(idx)
        if 'has_densepose' not in data_info:  # e.g. detected boxes
            data_info.update(self._empty_densepose())
        # Decoded per sample: 64 KiB per person would not fit in memory for
        # the whole of COCO-DensePose.
        masks = data_info.pop('dp_masks')
        try:
            data_info['dp_segm'] = self.decode_coarse_masks(masks)
        except (ValueError, TypeError) as e:
            raise AnnotationError(
                f'{self.ann_file}: annotation id {data_info.get("id")} '
                f'(image {data_info.get("img_id")}): {e}') from e
        return data_info

    def _get_topdown_data_infos(self, instance_list: List[dict]) -> List[dict]:
        return [d for d in instance_list if self._is_valid_person(d)]

    @staticmethod
    def _is_valid_person(data_info: dict) -> bool:
        """mmpose's rule, except that a person with DensePose but without
        keypoints is kept."""
        if data_info.get('iscrowd', 0):
            return False
        x1, y1, x2, y2 = data_info['bbox'][0]
        if x2 - x1 <= 0 or y2 - y1 <= 0:
            return False
        has_keypoints = (data_info.get('num_keypoints', 0) > 0
                         and np.max(data_info['keypoints']) > 0)
        return has_keypoints or data_info['has_densepose']

    def filter_data(self) -> List[dict]:
        data_list = super().filter_data()
        if self.filter_cfg and self.filter_cfg.get('densepose_only', False):
            data_list = [d for d in data_list if d['has_densepose']]
        return data_list
