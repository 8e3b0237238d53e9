"""Tiny models, data samples and real COCO files for the pre-training tests."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import torch
import torch.nn.functional as F

import hpse_bench
from hpse_bench.structures import HumanDataSample
from hpse_bench.structures.conventions import COCO_SKELETON

hpse_bench.register_all_modules()
torch.set_num_threads(1)

# ResNet-18 with BatchNorm: CPU friendly.
BACKBONE = dict(type='mmpretrain.ResNet', depth=18, norm_cfg=dict(type='BN'))


def write_coco_people(root: str,
                      num_images: int = 6,
                      people_per_image: int = 2,
                      size=(160, 120),
                      seed: int = 0) -> str:
    """Write a COCO keypoint split in the synthetic-data layout.

    ``root/coco/images/train/*.jpg`` and
    ``root/coco/annotations/person_keypoints_train.json``; every person is a
    stick figure drawn through its visible keypoints.
    """
    rng = np.random.RandomState(seed)
    img_dir = osp.join(root, 'coco', 'images', 'train')
    ann_dir = osp.join(root, 'coco', 'annotations')
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(ann_dir, exist_ok=True)
    w, h = size
    # A standing figure in a unit box: x in [0, 1], y in [0, 1].
    template = np.array([[.5, .08], [.55, .05], [.45, .05], [.6, .07],
                         [.4, .07], [.7, .25], [.3, .25], [.8, .45],
                         [.2, .45], [.85, .62], [.15, .62], [.62, .6],
                         [.38, .6], [.64, .8], [.36, .8], [.65, .97],
                         [.35, .97]])
    images, annotations = [], []
    for i in range(num_images):
        img = rng.randint(0, 80, size=(h, w, 3)).astype(np.uint8)
        for p in range(people_per_image):
            bw, bh = rng.uniform(25, 45), rng.uniform(60, 100)
            x0 = rng.uniform(0, w - bw)
            y0 = rng.uniform(0, h - bh)
            kpts = template * [bw, bh] + [x0, y0]
            vis = np.where(rng.rand(17) < 0.2, 1, 2)
            vis[rng.rand(17) < 0.1] = 0
            color = tuple(int(c) for c in rng.randint(120, 255, size=3))
            for a, b in COCO_SKELETON:
                if vis[a] and vis[b]:
                    cv2.line(img, tuple(int(v) for v in kpts[a]),
                             tuple(int(v) for v in kpts[b]), color, 2)
            kp = np.concatenate([kpts, vis[:, None]], axis=1)
            kp[vis == 0] = 0
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=i + 1,
                    category_id=1,
                    iscrowd=0,
                    bbox=[float(x0), float(y0),
                          float(bw), float(bh)],
                    area=float(bw * bh),
                    num_keypoints=int((vis > 0).sum()),
                    keypoints=[float(v) for v in kp.ravel()]))
        name = f'{i:06d}.jpg'
        cv2.imwrite(osp.join(img_dir, name), img)
        images.append(dict(id=i + 1, file_name=name, width=w, height=h))
    coco = dict(
        images=images,
        annotations=annotations,
        categories=[dict(id=1, name='person')])
    with open(osp.join(ann_dir, 'person_keypoints_train.json'), 'w') as f:
        json.dump(coco, f)
    return root


def random_samples(num: int,
                   num_views: int = 2,
                   size=(64, 48),
                   num_joints: int = 17,
                   visible_prob: float = 0.7,
                   num_segments: int = 0,
                   seed: int = 0):
    """Data samples with per-view fields, as PackMultiViewInputs makes."""
    g = torch.Generator().manual_seed(seed)
    h, w = size
    samples = []
    for _ in range(num):
        s = HumanDataSample()
        k = torch.rand(num_views, num_joints, 3, generator=g)
        k[..., 0] *= w - 1
        k[..., 1] *= h - 1
        k[..., 2] = (torch.rand(num_views, num_joints, generator=g) <
                     visible_prob).float()
        s.gt_keypoints2d = k
        s.view_rotation = torch.rand(num_views, generator=g) * 60 - 30
        s.view_translation = torch.rand(num_views, 2, generator=g) * .2 - .1
        s.view_scale = torch.ones(num_views)
        s.view_flip = torch.zeros(num_views, dtype=torch.bool)
        if num_segments:
            s.gt_segments = torch.randint(
                -1, num_segments, (num_views, h, w), generator=g)
        samples.append(s)
    return samples


def random_inputs(num: int, num_views: int = 2, size=(64, 48), seed=0):
    g = torch.Generator().manual_seed(seed)
    return [
        torch.randint(0, 256, (num, 3) + tuple(size), generator=g).to(
            torch.uint8) for _ in range(num_views)
    ]


def supcon_loop(z, labels, temperature):
    """Khosla et al. (2020), Eq. 2, anchor by anchor, in plain Python."""
    z = F.normalize(z, dim=1)
    n = z.shape[0]
    labels = labels.reshape(n, -1).tolist()
    total, count = 0.0, 0
    for i in range(n):
        positives = [p for p in range(n) if p != i and labels[p] == labels[i]]
        if not positives:
            continue
        denom = sum(
            torch.exp(z[i] @ z[a] / temperature) for a in range(n) if a != i)
        li = 0.0
        for p in positives:
            li = li - torch.log(torch.exp(z[i] @ z[p] / temperature) / denom)
        total = total + li / len(positives)
        count += 1
    return total / max(count, 1)
