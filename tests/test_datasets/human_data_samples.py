"""Small HumanData files and JPEG images on disk for the dataset tests.

The files are written the way mmhuman3d's ``HumanData.dump`` writes them
(``numpy.savez_compressed``: arrays, dicts as 0-d object arrays, the
``__*__`` attributes, optionally compressed keypoints), independently of
hpse_bench's own synthetic writer.
"""
import os
import os.path as osp
from typing import Dict, Optional

import cv2
import numpy as np

from hpse_bench.structures.conventions import (HUMAN_DATA_INDEX,
                                               HUMAN_DATA_NAMES,
                                               NUM_HUMAN_DATA_KEYPOINTS)

IMG_W, IMG_H = 160, 120


def slots_of(convention: str) -> np.ndarray:
    """The 190-layout slots of a convention, spelled out by joint name."""
    return np.array(
        [HUMAN_DATA_INDEX[name] for name in HUMAN_DATA_NAMES[convention]])


def write_images(folder: str, num: int, seed: int = 0) -> list:
    """``num`` noisy JPEGs ``images/<i>.jpg`` under ``folder``."""
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(folder, 'images'), exist_ok=True)
    paths = []
    for i in range(num):
        rel = f'images/{i:03d}.jpg'
        img = rng.integers(0, 255, (IMG_H, IMG_W, 3), dtype=np.uint8)
        assert cv2.imwrite(osp.join(folder, rel), img)
        paths.append(rel)
    return paths


def make_human_data(num: int,
                    seed: int = 0,
                    with_keypoints3d: bool = True,
                    with_smpl: bool = True,
                    mask_slots: Optional[np.ndarray] = None) -> Dict:
    """A HumanData dict of ``num`` people with random labels.

    The 2D keypoints are the pinhole projections of the 3D keypoints
    (focal 200 px, principal point at the image centre) in every slot,
    so 2D and 3D labels of one joint agree.
    """
    rng = np.random.default_rng(seed)
    kp3d = np.zeros((num, NUM_HUMAN_DATA_KEYPOINTS, 4), np.float32)
    kp3d[..., 0] = rng.uniform(-0.6, 0.6, (num, NUM_HUMAN_DATA_KEYPOINTS))
    kp3d[..., 1] = rng.uniform(-0.8, 0.8, (num, NUM_HUMAN_DATA_KEYPOINTS))
    kp3d[..., 2] = rng.uniform(4.0, 6.0, (num, NUM_HUMAN_DATA_KEYPOINTS))
    kp3d[..., 3] = 1
    focal = 200.0
    pp = np.array([(IMG_W - 1) / 2, (IMG_H - 1) / 2])
    kp2d = np.zeros((num, NUM_HUMAN_DATA_KEYPOINTS, 3), np.float32)
    kp2d[..., :2] = kp3d[..., :2] / kp3d[..., 2:3] * focal + pp
    kp2d[..., 2] = rng.choice([0.0, 1.0, 2.0], (num, NUM_HUMAN_DATA_KEYPOINTS),
                              p=[0.1, 0.45, 0.45])
    mask = np.ones(NUM_HUMAN_DATA_KEYPOINTS, np.uint8)
    if mask_slots is not None:
        mask[:] = 0
        mask[mask_slots] = 1
    kp2d[:, mask == 0] = 0
    kp3d[:, mask == 0] = 0
    # Boxes: centred on the image centre, various sizes.
    side = rng.uniform(40, 100, num)
    bbox = np.stack(
        [pp[0] - side / 2, pp[1] - side * 0.6, side, side * 1.2,
         np.ones(num)],
        axis=1).astype(np.float32)
    data = dict(
        bbox_xywh=bbox,
        keypoints2d=kp2d,
        keypoints2d_mask=mask,
        focal_length=np.full((num, 2), focal, np.float32),
        principal_point=np.tile(pp, (num, 1)).astype(np.float32),
        config='test',
        meta=dict(gender=np.array(['m', 'f'] * num)[:num]),
    )
    if with_keypoints3d:
        data['keypoints3d'] = kp3d
        data['keypoints3d_mask'] = mask.copy()
    if with_smpl:
        data['smpl'] = dict(
            global_orient=rng.normal(0, 0.5, (num, 3)).astype(np.float32),
            body_pose=rng.normal(0, 0.3, (num, 23, 3)).astype(np.float32),
            betas=rng.normal(0, 1, (num, 10)).astype(np.float32),
            transl=np.zeros((num, 3), np.float32))
    return data


def save_human_data(path: str,
                    data: Dict,
                    image_path: list,
                    compressed: bool = False,
                    **extra) -> str:
    """Dump like ``HumanData.dump`` (``savez_compressed``)."""
    out = dict(data)
    out.update(extra)
    out['image_path'] = np.array(image_path)
    num = len(image_path)
    if compressed:
        for key in ('keypoints2d', 'keypoints3d'):
            if key in out:
                mask = np.asarray(out[f'{key}_mask']) == 1
                out[key] = out[key][:, mask]
    np.savez_compressed(
        path,
        __key_strict__=False,
        __temporal_len__=num,
        __keypoints_compressed__=compressed,
        **out)
    return path


def write_split(folder: str,
                num: int,
                seed: int = 0,
                compressed: bool = False,
                name: str = 'train.npz',
                **kwargs) -> Dict:
    """Images plus one HumanData file in ``folder``; returns the data."""
    paths = write_images(folder, num, seed)
    data = make_human_data(num, seed, **kwargs)
    save_human_data(osp.join(folder, name), data, paths, compressed)
    return data
