"""A small COCO-DensePose JSON and its images, written for the tests.

The coarse part masks of an annotated person are four blocks (one per
quadrant of the central part of the 256 x 256 box frame, background
around), and each DensePose point lies well inside the block of its chart's
coarse part, so a geometric transform that moves points and masks alike
keeps every point on its own part. The parts are also painted into the
image, each in its own colour (``PALETTE``) over a grey background, at the
pixels whose centres fall in the part's cells (COCO's continuous
coordinates: pixel ``(row, col)`` covers ``[col, col + 1)``), so the image
shows where the masks are. The RLEs are made with
``pycocotools.mask.encode`` (counts as ``str``, as in the released JSON).
Images are PNG so that colours survive exactly.
"""
import json
import os
import os.path as osp
from typing import Dict, List

import cv2
import numpy as np
import pycocotools.mask as mask_utils

from hpse_bench.structures.conventions import (DENSEPOSE_CHART_TO_COARSE,
                                               DENSEPOSE_CHARTS,
                                               DENSEPOSE_COARSE_PARTS)

IMG_W, IMG_H = 160, 120
# Quadrant blocks of the box frame: (rows, cols) slices -> coarse part name.
BLOCKS = [
    ((slice(32, 128), slice(32, 128)), 'upper_arm_left'),
    ((slice(32, 128), slice(128, 224)), 'upper_arm_right'),
    ((slice(128, 224), slice(32, 128)), 'upper_leg_left'),
    ((slice(128, 224), slice(128, 224)), 'left_foot'),
]


BACKGROUND = (128, 128, 128)
# BGR colour of each coarse label painted into the images.
PALETTE = {
    1: (0, 0, 255),
    2: (0, 255, 0),
    3: (255, 0, 0),
    4: (0, 255, 255),
    5: (255, 0, 255),
    6: (255, 255, 0),
    7: (40, 90, 200),
    8: (255, 255, 255),
    9: (0, 128, 255),
    10: (0, 128, 0),
    11: (128, 0, 255),
    12: (255, 128, 0),
    13: (0, 0, 128),
    14: (128, 255, 128),
}


def coarse_label(name: str) -> int:
    return DENSEPOSE_COARSE_PARTS.index(name) + 1


def charts_of_coarse(label: int) -> List[int]:
    return [
        c for c in range(1, len(DENSEPOSE_CHARTS) + 1)
        if DENSEPOSE_CHART_TO_COARSE[c] == label
    ]


def block_label_map() -> np.ndarray:
    """The ``(256, 256)`` coarse label map every annotated person has."""
    segm = np.zeros((256, 256), np.uint8)
    for (rows, cols), name in BLOCKS:
        segm[rows, cols] = coarse_label(name)
    return segm


def encode_masks(segm: np.ndarray) -> list:
    """The 14 ``dp_masks`` entries of a label map."""
    masks = []
    for label in range(1, len(DENSEPOSE_COARSE_PARTS) + 1):
        m = segm == label
        if not m.any():
            masks.append([])
            continue
        rle = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
        masks.append({'size': [256, 256], 'counts': rle['counts'].decode()})
    return masks


def densepose_fields(rng: np.random.Generator, per_block: int = 6) -> Dict:
    """DensePose fields: ``per_block`` points inside each block, 20 box
    pixels away from its border, with a chart of the block's part."""
    xs, ys, charts = [], [], []
    for (rows, cols), name in BLOCKS:
        xs += list(rng.uniform(cols.start + 20, cols.stop - 20, per_block))
        ys += list(rng.uniform(rows.start + 20, rows.stop - 20, per_block))
        charts += list(
            rng.choice(charts_of_coarse(coarse_label(name)), per_block))
    n = len(xs)
    return dict(
        dp_x=[float(x) for x in xs],
        dp_y=[float(y) for y in ys],
        dp_I=[float(c) for c in charts],
        dp_U=[float(u) for u in rng.uniform(0, 1, n)],
        dp_V=[float(v) for v in rng.uniform(0, 1, n)],
        dp_masks=encode_masks(block_label_map()))


def paint_parts(img: np.ndarray, bbox: List[float],
                segm: np.ndarray) -> None:
    """Paint the label map ``segm`` of the box ``bbox`` into ``img``."""
    x0, y0, w, h = bbox
    rows, cols = np.mgrid[:img.shape[0], :img.shape[1]]
    bx = np.floor((cols + 0.5 - x0) * 256 / w).astype(int)
    by = np.floor((rows + 0.5 - y0) * 256 / h).astype(int)
    inside = (bx >= 0) & (bx < 256) & (by >= 0) & (by < 256)
    labels = np.zeros(img.shape[:2], np.uint8)
    labels[inside] = segm[by[inside], bx[inside]]
    for label, color in PALETTE.items():
        img[labels == label] = color


def label_of_color(img: np.ndarray) -> np.ndarray:
    """Label whose colour is nearest each pixel of a BGR image (0 for the
    background grey and for the black border of a warp)."""
    colors = np.array([PALETTE[k] for k in sorted(PALETTE)] +
                      [BACKGROUND, (0, 0, 0)], np.float32)
    labels = np.array(sorted(PALETTE) + [0, 0])
    dist = ((img[..., None, :].astype(np.float32) - colors)**2).sum(-1)
    return labels[dist.argmin(-1)]


def keypoints_in(rng: np.random.Generator, bbox: List[float]) -> list:
    x, y, w, h = bbox
    kpts = np.zeros((17, 3))
    kpts[:, 0] = rng.uniform(x + 2, x + w - 2, 17)
    kpts[:, 1] = rng.uniform(y + 2, y + h - 2, 17)
    kpts[:, 2] = 2
    return kpts.reshape(-1).tolist()


def person(ann_id: int, image_id: int, bbox: List[float], **fields) -> Dict:
    ann = dict(
        id=ann_id,
        image_id=image_id,
        category_id=1,
        bbox=bbox,
        area=float(bbox[2] * bbox[3]),
        iscrowd=0,
        num_keypoints=17,
        keypoints=[0.0] * 51)
    ann.update(fields)
    return ann


def write_densepose_coco(root: str, seed: int = 0) -> Dict:
    """Write ``images/*.png`` and ``annotations/densepose.json`` under
    ``root``.

    People (annotation ids):

    - 1 (image 0): keypoints and DensePose;
    - 2 (image 0): keypoints only -> kept, ``has_densepose`` False;
    - 3 (image 1): crowd -> dropped;
    - 4 (image 1): DensePose without keypoints -> kept;
    - 5 (image 1): neither -> dropped.

    Returns:
        dict: ``ann_file``, ``annotations`` (id -> annotation dict).
    """
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    b1 = [30.0, 12.0, 64.0, 96.0]
    b2 = [100.0, 20.0, 40.0, 80.0]
    b4 = [60.5, 10.25, 70.0, 100.0]
    anns = [
        person(1, 0, b1, keypoints=keypoints_in(rng, b1),
               **densepose_fields(rng)),
        person(2, 0, b2, keypoints=keypoints_in(rng, b2)),
        person(3, 1, [0.0, 0.0, 50.0, 50.0], iscrowd=1,
               keypoints=keypoints_in(rng, [0.0, 0.0, 50.0, 50.0])),
        person(4, 1, b4, num_keypoints=0, **densepose_fields(rng)),
        person(5, 1, [5.0, 5.0, 30.0, 30.0], num_keypoints=0),
    ]
    images = []
    for i in range(2):
        name = f'{i:06d}.png'
        img = np.full((IMG_H, IMG_W, 3), BACKGROUND, dtype=np.uint8)
        for ann in anns:
            if ann['image_id'] == i and 'dp_masks' in ann:
                paint_parts(img, ann['bbox'], block_label_map())
        assert cv2.imwrite(osp.join(root, 'images', name), img)
        images.append(dict(id=i, file_name=name, width=IMG_W, height=IMG_H))
    coco = dict(
        images=images,
        annotations=anns,
        categories=[dict(id=1, name='person', supercategory='person')])
    ann_file = osp.join(root, 'annotations', 'densepose.json')
    with open(ann_file, 'w') as f:
        json.dump(coco, f)
    return dict(ann_file=ann_file, annotations={a['id']: a for a in anns})
