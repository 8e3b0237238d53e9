"""The label files of a synthetic split: COCO keypoints + DensePose JSON
and mmhuman3d HumanData, from the records of the rendered images."""
import os
import os.path as osp
from typing import Any, Dict, List

import numpy as np

from hpse_bench.datasets.human_data import (human_data_keypoints,
                                            write_human_data)
from .writers import write_coco_json


def _round(values: np.ndarray, digits: int) -> List[float]:
    return [round(float(v), digits) for v in np.asarray(values).reshape(-1)]


def write_split_coco(out_dir: str, subset: str,
                     records: List[Dict[str, Any]]) -> None:
    """Write ``coco/annotations/person_keypoints_<subset>.json``: COCO
    keypoints with the COCO-DensePose fields, one annotation per person."""
    images, annotations = [], []
    for rec in records:
        image_id = rec['index'] + 1
        images.append(
            dict(
                id=image_id,
                file_name=osp.basename(rec['file']),
                width=rec['width'],
                height=rec['height']))
        for p in rec['people']:
            kp = p['keypoints']
            dp = p['densepose']
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=image_id,
                    category_id=1,
                    iscrowd=0,
                    area=float(p['area']),
                    bbox=_round(p['bbox'], 2),
                    segmentation=p['segmentation'],
                    num_keypoints=int((kp[:, 2] > 0).sum()),
                    keypoints=[
                        v for x, y, vis in kp
                        for v in (round(float(x), 3), round(float(y), 3),
                                  int(vis))
                    ],
                    dp_x=_round(dp['dp_x'], 3),
                    dp_y=_round(dp['dp_y'], 3),
                    dp_I=_round(dp['dp_I'], 1),
                    dp_U=_round(dp['dp_U'], 5),
                    dp_V=_round(dp['dp_V'], 5),
                    dp_masks=dp['dp_masks']))
    os.makedirs(osp.join(out_dir, 'coco', 'annotations'), exist_ok=True)
    write_coco_json(
        osp.join(out_dir, 'coco', 'annotations',
                 f'person_keypoints_{subset}.json'), images, annotations,
        f'hpse_bench synthetic COCO-like people, {subset}')


def write_split_human_data(out_dir: str, split: str, subset: str,
                           records: List[Dict[str, Any]], seed: int,
                           with_3d: bool) -> None:
    """Write ``<split>/<split>_<subset>.npz`` (HumanData, one row per
    person): COCO-17 2D keypoints and SMPL parameters (as the EFT fits of
    real COCO), or with 3D joints and camera too when ``with_3d``."""
    rows = [(rec, p) for rec in records for p in rec['people']]
    n = len(rows)
    image_path = [osp.relpath(rec['file'], split) for rec, _ in rows]
    image_id = [rec['index'] + 1 for rec, _ in rows]
    bbox = np.stack([p['bbox'] for _, p in rows])
    if with_3d:
        names = ('smpl_24', 'coco_17', 'h36m_17')
        kp2d = {
            k: np.stack([p['keypoints2d'][k] for _, p in rows])
            for k in names
        }
        kp3d = {
            k: np.stack([p['keypoints3d'][k] for _, p in rows])
            for k in names
        }
        ones = {k: np.ones(v.shape[:2]) for k, v in kp2d.items()}
        keypoints2d, mask2d = human_data_keypoints(kp2d, ones, 2)
        keypoints3d, mask3d = human_data_keypoints(kp3d, ones, 3)
        smpl = {
            k: np.stack([p['smpl'][k] for _, p in rows])
            for k in ('global_orient', 'body_pose', 'betas', 'transl')
        }
        write_human_data(
            osp.join(out_dir, split, f'{split}_{subset}.npz'),
            image_path,
            image_id,
            bbox,
            keypoints2d,
            mask2d,
            config=split,
            keypoints3d=keypoints3d,
            keypoints3d_mask=mask3d,
            smpl=smpl,
            focal_length=np.stack(
                [np.full(2, rec['focal_length']) for rec, _ in rows]),
            principal_point=np.stack(
                [rec['principal_point'] for rec, _ in rows]),
            # COCO visibility (0 out of frame, 1 hidden, 2 visible) of
            # the COCO-17 keypoints, for occlusion-aware analyses.
            meta=dict(
                gender=['neutral'] * n,
                coco_visibility=np.stack(
                    [p['keypoints'][:, 2] for _, p in rows]).astype(np.uint8),
                seed=seed,
                source='hpse_bench synthetic'))
    else:
        coco = np.stack([p['keypoints'] for _, p in rows])
        keypoints2d, mask2d = human_data_keypoints(
            {'coco_17': coco[..., :2]}, {'coco_17': coco[..., 2] > 0}, 2)
        write_human_data(
            osp.join(out_dir, split, f'{split}_{subset}.npz'),
            image_path,
            image_id,
            bbox,
            keypoints2d,
            mask2d,
            config=split,
            # SMPL parameters stand in for the EFT fits that the real
            # fine-tuning file (eft_coco_all.npz) carries for COCO.
            smpl={
                k: np.stack([p['smpl'][k] for _, p in rows])
                for k in ('global_orient', 'body_pose', 'betas', 'transl')
            },
            focal_length=np.stack(
                [np.full(2, rec['focal_length']) for rec, _ in rows]),
            principal_point=np.stack(
                [rec['principal_point'] for rec, _ in rows]),
            meta=dict(seed=seed, source='hpse_bench synthetic'))
