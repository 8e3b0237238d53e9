import os.path as osp
from typing import List, Optional, Tuple

import numpy as np
from mmengine.dataset import BaseDataset

from hpse_bench.registry import DATASETS
from hpse_bench.structures.conventions import COCO_17, FLIP_INDICES
from .coco_annotations import (group_person_annotations, index_images,
                               load_coco_json, log_skipped, non_finite_field,
                               person_category_ids)


def _length(value) -> str:
    return str(len(value)) if isinstance(value, list) else repr(value)[:40]


@DATASETS.register_module()
class CocoPersonCropDataset(BaseDataset):
    """People of a COCO keypoint annotation file, one sample per person.

    The pre-training data of JointCon, PeCLR, DetCon and the SSL baselines
    (Choi et al., ICLR 2023, Sec. 4: "COCO person crops"). Each sample holds
    the image path and one person's box and COCO-17 keypoints; the pipeline
    crops the person (:class:`~hpse_bench.datasets.transforms.PersonCrop`).

    Fields of a data info: ``img_path``, ``img_id``, ``ann_id``, ``bbox``
    (4,) xyxy pixels, ``keypoints`` (17, 2) pixels, ``keypoints_visible``
    (17,) 0/1 (COCO's ``v > 0``: labelled, occluded or not), ``num_keypoints``.

    Only annotations of the ``person`` category are read; those of other
    categories and people with a NaN/inf box or keypoint are skipped,
    counted and logged with the file name. A malformed file is an error
    naming the file and the entry (:mod:`.coco_annotations`).

    Args:
        ann_file: COCO keypoint JSON (``person_keypoints_*.json``).
        min_keypoints: keep people with at least this many labelled
            keypoints (0 keeps everyone, as for unlabelled SSL).
        min_bbox_size: keep boxes whose shorter side has at least this many
            pixels.
        skip_crowd: drop ``iscrowd`` annotations.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments
            (``data_root``, ``data_prefix=dict(img=...)``, ``pipeline``, ...).
    """

    METAINFO = dict(
        dataset_name='coco',
        keypoint_names=COCO_17,
        flip_indices=FLIP_INDICES['coco_17'])

    def __init__(self,
                 ann_file: str = '',
                 min_keypoints: int = 0,
                 min_bbox_size: float = 1.0,
                 skip_crowd: bool = True,
                 **kwargs) -> None:
        self.min_keypoints = min_keypoints
        self.min_bbox_size = min_bbox_size
        self.skip_crowd = skip_crowd
        kwargs.setdefault('data_prefix', dict(img=''))
        super().__init__(ann_file=ann_file, **kwargs)

    def get_data_info(self, idx: int) -> dict:
        """The data info of sample ``idx`` with the dataset's flip
        permutation and name, which augmentations need."""
        info = super().get_data_info(idx)
        info['flip_indices'] = self.metainfo['flip_indices']
        info['dataset_name'] = self.metainfo['dataset_name']
        return info

    def load_data_list(self) -> List[dict]:
        """One data info per usable person of the file.

        People of another category or with a NaN/inf box or keypoint are
        skipped, counted and logged; a malformed file is an error naming
        it (see :mod:`.coco_annotations`).
        """
        coco = load_coco_json(self.ann_file)
        images = index_images(coco, self.ann_file)
        person_ids = person_category_ids(coco, self.ann_file)
        by_image, skipped = group_person_annotations(coco, self.ann_file,
                                                     images, person_ids)
        img_prefix = self.data_prefix.get('img', '')
        data_list = []
        for image_id, anns in by_image.items():
            for ann in anns:
                if self.skip_crowd and ann.get('iscrowd', 0):
                    continue
                bbox, kpts = self._check_fields(ann)
                field = non_finite_field(dict(bbox=bbox, keypoints=kpts))
                if field is not None:
                    skipped[f'non-finite {field}'] += 1
                    continue
                info = self._parse_person(ann, bbox, kpts)
                if info is not None:
                    info['img_path'] = osp.join(img_prefix,
                                                images[image_id]['file_name'])
                    data_list.append(info)
        log_skipped(skipped, len(coco['annotations']), self.ann_file,
                    self.metainfo['dataset_name'])
        if not data_list:
            raise ValueError(
                f'{self.ann_file} holds no person annotation that passes '
                f'the filters (min_keypoints={self.min_keypoints}, '
                f'min_bbox_size={self.min_bbox_size}, '
                f'skip_crowd={self.skip_crowd}; skipped: {dict(skipped)})')
        return data_list

    def _check_fields(self, ann: dict) -> Tuple[np.ndarray, np.ndarray]:
        """The ``(4,)`` xywh box and ``(17, 3)`` keypoints of ``ann``.

        Raises:
            ValueError: a field of the wrong length, naming the annotation.
        """
        where = f'{self.ann_file}, annotation id {ann["id"]}'
        num_joints = len(COCO_17)
        bbox = ann.get('bbox')
        if not isinstance(bbox, list) or len(bbox) != 4:
            raise ValueError(f'{where}: "bbox" must be [x, y, w, h], '
                             f'got {bbox}')
        kpts = ann.get('keypoints', [0] * (3 * num_joints))
        if not isinstance(kpts, list) or len(kpts) != 3 * num_joints:
            raise ValueError(f'{where}: "keypoints" must hold '
                             f'{3 * num_joints} numbers (COCO-17 x, y, '
                             f'v), got {_length(kpts)}')
        try:
            return (np.asarray(bbox, dtype=np.float32),
                    np.asarray(kpts, dtype=np.float32).reshape(num_joints, 3))
        except (TypeError, ValueError) as e:
            raise ValueError(f'{where}: "bbox" and "keypoints" must hold '
                             f'numbers: {e}') from e

    def _parse_person(self, ann: dict, bbox: np.ndarray,
                      kpts: np.ndarray) -> Optional[dict]:
        """The data info of one person (without ``img_path``); None when
        the box or keypoint filters drop it."""
        x, y, w, h = (float(v) for v in bbox)
        if min(w, h) < self.min_bbox_size:
            return None
        visible = (kpts[:, 2] > 0).astype(np.float32)
        if visible.sum() < self.min_keypoints:
            return None
        return dict(
            img_id=int(ann['image_id']),
            ann_id=ann['id'],
            bbox=np.array([x, y, x + w, y + h], dtype=np.float32),
            keypoints=kpts[:, :2].copy(),
            keypoints_visible=visible,
            num_keypoints=int(visible.sum()))
