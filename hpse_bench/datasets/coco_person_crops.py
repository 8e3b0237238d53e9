import json
import os.path as osp
from typing import List

import numpy as np
from mmengine.dataset import BaseDataset

from hpse_bench.registry import DATASETS
from hpse_bench.structures.conventions import COCO_17, FLIP_INDICES


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
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'COCO keypoint annotation file not found: {self.ann_file}')
        with open(self.ann_file) as f:
            try:
                coco = json.load(f)
            except json.JSONDecodeError as e:
                raise ValueError(
                    f'{self.ann_file} is not valid JSON: {e}') from e
        for key in ('images', 'annotations'):
            if key not in coco:
                raise ValueError(f'{self.ann_file} has no "{key}" list; is '
                                 'it a COCO annotation file?')
        person_ids = {
            c['id']
            for c in coco.get('categories', []) if c.get('name') == 'person'
        } or {1}
        img_prefix = self.data_prefix.get('img', '')
        images = {}
        for img in coco['images']:
            if 'id' not in img or 'file_name' not in img:
                raise ValueError(f'{self.ann_file}: image entry {img} lacks '
                                 '"id" or "file_name"')
            images[img['id']] = img

        num_joints = len(COCO_17)
        data_list = []
        for ann in coco['annotations']:
            if ann.get('category_id', 1) not in person_ids:
                continue
            if self.skip_crowd and ann.get('iscrowd', 0):
                continue
            ann_id = ann.get('id')
            where = f'{self.ann_file}, annotation id {ann_id}'
            if ann.get('image_id') not in images:
                raise ValueError(f'{where}: image_id {ann.get("image_id")} '
                                 'is not in "images"')
            bbox = ann.get('bbox')
            if bbox is None or len(bbox) != 4:
                raise ValueError(f'{where}: "bbox" must be [x, y, w, h], '
                                 f'got {bbox}')
            x, y, w, h = (float(v) for v in bbox)
            if min(w, h) < self.min_bbox_size:
                continue
            kpts = ann.get('keypoints', [0] * (3 * num_joints))
            if len(kpts) != 3 * num_joints:
                raise ValueError(f'{where}: "keypoints" must hold '
                                 f'{3 * num_joints} numbers (COCO-17 x, y, '
                                 f'v), got {len(kpts)}')
            kpts = np.asarray(kpts, dtype=np.float32).reshape(num_joints, 3)
            visible = (kpts[:, 2] > 0).astype(np.float32)
            if visible.sum() < self.min_keypoints:
                continue
            img = images[ann['image_id']]
            data_list.append(
                dict(
                    img_path=osp.join(img_prefix, img['file_name']),
                    img_id=int(ann['image_id']),
                    ann_id=ann_id,
                    bbox=np.array([x, y, x + w, y + h], dtype=np.float32),
                    keypoints=kpts[:, :2].copy(),
                    keypoints_visible=visible,
                    num_keypoints=int(visible.sum())))
        if not data_list:
            raise ValueError(
                f'{self.ann_file} holds no person annotation that passes '
                f'the filters (min_keypoints={self.min_keypoints}, '
                f'min_bbox_size={self.min_bbox_size}, '
                f'skip_crowd={self.skip_crowd})')
        return data_list
