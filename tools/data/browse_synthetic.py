"""Draw synthetic images with their labels into one PNG grid, or person
crops of chosen views.

    python tools/data/browse_synthetic.py --root data/synthetic --split coco
        [--subset train] [--num 16] [--cols 4] [--panel 256] --out grid.png
    python tools/data/browse_synthetic.py --views [--crop 64]
        [--appearance v2] [--num 8] [--zoom 3] --out views.png

Every image gets three panels:

1. the image with its boxes and keypoints (COCO skeleton on ``coco``, H36M
   skeleton on the 3D splits; filled dots visible, rings occluded);
2. body parts: on ``coco`` the 14 coarse DensePose masks of the JSON,
   mapped back from each 256x256 box frame; on the 3D splits the 24 charts
   of the SMPL mesh re-rendered from the stored SMPL parameters and camera;
3. IUV: on ``coco`` the annotated DensePose points coloured by (U, V); on
   the 3D splits the re-rendered U, V field.

Misaligned parts, skeletons off the body or IUV off the person are label
bugs: the panels are drawn from the files only (plus the body model).

``--views`` shows what a network sees of a person's facing: each row is one
person (pose, shape and look drawn from the row's seed) as a ``--crop`` px
top-down crop at the headings 0 (facing the camera), 45, 90, 180 and -90
degrees, then the 0-degree crop flipped left-right next to the render of
the mirrored pose with the same look (what a flipped image's labels
describe; they differ where the look is not mirror-symmetric). Crops are
enlarged ``--zoom`` times without smoothing.
"""
import argparse
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import torch

from hpse_bench.body_models import SMPL, get_smpl_root
from hpse_bench.datasets.human_data import HumanDataFile
from hpse_bench.structures.conventions import (COCO_SKELETON, H36M_PARENTS,
                                               NUM_DENSEPOSE_CHARTS,
                                               NUM_DENSEPOSE_COARSE,
                                               human_data_indices)
from hpse_bench.synthetic import SPLITS, PosePrior, make_generator, split_files
from hpse_bench.synthetic.rasterizer import rasterize_meshes
from hpse_bench.synthetic.views import crop_person, render_view

#: Headings (degrees) of the ``--views`` columns before the mirror pair.
VIEW_YAWS = (0, 45, 90, 180, -90)


def palette(n: int) -> np.ndarray:
    """``(n + 1, 3)`` uint8 RGB colours, index 0 black, hues spread out."""
    hsv = np.zeros((1, n, 3), np.uint8)
    # Interleave hues so neighbouring ids get distant colours.
    order = np.argsort([(i * 7) % n for i in range(n)])
    hsv[0, :, 0] = (order * 180 // n).astype(np.uint8)
    hsv[0, :, 1] = 200
    hsv[0, :, 2] = 255
    rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0]
    return np.concatenate([np.zeros((1, 3), np.uint8), rgb])


COARSE_COLORS = palette(NUM_DENSEPOSE_COARSE)
CHART_COLORS = palette(NUM_DENSEPOSE_CHARTS)


def draw_skeleton(img: np.ndarray, keypoints: np.ndarray, bones: List[tuple],
                  color: tuple) -> None:
    """Draw ``(K, 3)`` keypoints ``x, y, v`` (v: 0 absent, 1 occluded, 2
    visible) and the bones between present ones."""
    for a, b in bones:
        if keypoints[a, 2] > 0 and keypoints[b, 2] > 0:
            cv2.line(img, tuple(int(round(v)) for v in keypoints[a, :2]),
                     tuple(int(round(v)) for v in keypoints[b, :2]), color, 1,
                     cv2.LINE_AA)
    for x, y, v in keypoints:
        if v <= 0:
            continue
        center = (int(round(x)), int(round(y)))
        if v >= 2:
            cv2.circle(img, center, 2, (255, 255, 255), -1, cv2.LINE_AA)
        else:
            cv2.circle(img, center, 3, (255, 60, 60), 1, cv2.LINE_AA)


def blend(img: np.ndarray,
          color: np.ndarray,
          mask: np.ndarray,
          alpha: float = 0.65) -> None:
    img[mask] = (alpha * color[mask] + (1 - alpha) * img[mask]).astype(
        np.uint8)


def coco_panels(root: str, subset: str, num: int) -> List[List[np.ndarray]]:
    files = split_files(root, 'coco')[subset]
    with open(files['coco_json']) as f:
        coco = json.load(f)
    anns: Dict[int, list] = defaultdict(list)
    for a in coco['annotations']:
        anns[a['image_id']].append(a)
    out = []
    for image in coco['images'][:num]:
        img = cv2.cvtColor(
            cv2.imread(osp.join(files['images'], image['file_name'])),
            cv2.COLOR_BGR2RGB)
        pose, parts, iuv = img.copy(), img.copy(), (img // 3).copy()
        for a in anns[image['id']]:
            x0, y0, w, h = a['bbox']
            cv2.rectangle(pose, (int(x0), int(y0)), (int(x0 + w), int(y0 + h)),
                          (255, 255, 0), 1)
            draw_skeleton(pose,
                          np.asarray(a['keypoints'], float).reshape(-1, 3),
                          COCO_SKELETON, (0, 255, 0))
            # Coarse masks live in the 256x256 box frame: cell (i, j) covers
            # the image point x0 + (j + 0.5) * w / 256.
            label = np.zeros((256, 256), np.uint8)
            for k, rle in enumerate(a['dp_masks']):
                if rle:
                    label[mask_utils.decode(rle) > 0] = k + 1
            cols = np.arange(int(x0), int(np.ceil(x0 + w)))
            rows = np.arange(int(y0), int(np.ceil(y0 + h)))
            cols = cols[(cols >= 0) & (cols < img.shape[1])]
            rows = rows[(rows >= 0) & (rows < img.shape[0])]
            j = np.clip(((cols + 0.5 - x0) * 256 / w).astype(int), 0, 255)
            i = np.clip(((rows + 0.5 - y0) * 256 / h).astype(int), 0, 255)
            box = label[i[:, None], j[None, :]]
            sub = parts[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
            blend(sub, COARSE_COLORS[box], box > 0)
            px = x0 + np.asarray(a['dp_x']) * w / 256.0 - 0.5
            py = y0 + np.asarray(a['dp_y']) * h / 256.0 - 0.5
            for x, y, u, v in zip(px, py, a['dp_U'], a['dp_V']):
                cv2.circle(iuv, (int(round(x)), int(round(y))), 2,
                           (int(255 * u), int(255 * v), 128), -1)
        out.append([pose, parts, iuv])
    return out


def human_data_panels(root: str, split: str, subset: str, num: int,
                      smpl_root: str) -> List[List[np.ndarray]]:
    files = split_files(root, split)[subset]
    # Through the HumanData reader: its unpickler admits plain arrays and
    # dicts only, so a tampered file cannot run code here.
    with HumanDataFile(files['human_data']) as hd:
        data = {
            key: hd.get(key)
            for key in ('smpl', 'image_id', 'image_path', 'bbox_xywh',
                        'keypoints2d', 'focal_length', 'principal_point')
            if key in hd
        }
    smpl = data['smpl']
    body = SMPL(smpl_root=smpl_root)
    dp = np.load(osp.join(get_smpl_root(smpl_root), 'densepose_uv.npz'))
    charts, face_uv = dp['face_charts'], dp['face_uv']
    h36m = human_data_indices('h36m_17')
    bones = [(j, p) for j, p in enumerate(H36M_PARENTS) if p >= 0]
    rows_of: Dict[int, list] = defaultdict(list)
    for row, image_id in enumerate(data['image_id']):
        rows_of[int(image_id)].append(row)
    out = []
    for image_id in sorted(rows_of)[:num]:
        rows = rows_of[image_id]
        path = osp.join(root, split, str(data['image_path'][rows[0]]))
        img = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)
        with torch.no_grad():
            verts = body(
                betas=torch.as_tensor(smpl['betas'][rows]),
                body_pose=torch.as_tensor(smpl['body_pose'][rows]),
                global_orient=torch.as_tensor(smpl['global_orient'][rows]),
                transl=torch.as_tensor(smpl['transl'][rows]))['vertices']
        frags = rasterize_meshes([(v, body.faces) for v in verts.numpy()],
                                 data['focal_length'][rows[0]],
                                 data['principal_point'][rows[0]],
                                 img.shape[:2])
        fg = frags.foreground
        chart = np.zeros(img.shape[:2], np.int64)
        chart[fg] = charts[frags.face_id[fg]]
        uv = np.einsum('nk,nkc->nc', frags.bary[fg],
                       face_uv[frags.face_id[fg]])
        pose, parts, iuv = img.copy(), img.copy(), (img // 3).copy()
        blend(parts, CHART_COLORS[chart], fg)
        field = np.zeros_like(img)
        field[fg] = np.stack(
            [uv[:, 0] * 255, uv[:, 1] * 255,
             np.full(len(uv), 128)], axis=1).astype(np.uint8)
        blend(iuv, field, fg, alpha=0.9)
        for row in rows:
            x0, y0, w, h = data['bbox_xywh'][row][:4]
            cv2.rectangle(pose, (int(x0), int(y0)), (int(x0 + w), int(y0 + h)),
                          (255, 255, 0), 1)
            kp = data['keypoints2d'][row][h36m].astype(float)
            kp[:, 2] *= 2  # HumanData confidence 1: draw as labelled
            draw_skeleton(pose, kp, bones, (0, 255, 0))
        out.append([pose, parts, iuv])
    return out


def view_panels(appearance: str, num: int, crop: int, image_size: int,
                first_seed: int) -> List[List[np.ndarray]]:
    """Rows of person crops (see the module docstring)."""
    gen = make_generator(appearance=appearance)
    prior = PosePrior(dict(standing=0.5, walking=0.5))
    rows = []
    for seed in range(first_seed, first_seed + num):
        rng = np.random.default_rng(seed)
        betas = prior.sample_betas(rng)
        pose = prior.sample_body_pose(rng)
        views = [
            render_view(gen, betas, pose, yaw, seed, image_size=image_size)
            for yaw in VIEW_YAWS
        ]
        views.append(
            render_view(
                gen, betas, pose, 0, seed, mirror=True, image_size=image_size))
        crops = [crop_person(v.image, v.people[0].bbox, crop) for v in views]
        crops.insert(len(VIEW_YAWS), crops[0][:, ::-1].copy())
        rows.append(crops)
    return rows


def view_grid(rows: List[List[np.ndarray]], zoom: int) -> np.ndarray:
    """Crops enlarged ``zoom`` times (nearest), 2 px apart, white gaps."""
    tiles = [[np.kron(c, np.ones((zoom, zoom, 1), np.uint8)) for c in row]
             for row in rows]
    side, gap = tiles[0][0].shape[0], 2
    grid = np.full((len(tiles) * (side + gap) + gap, len(tiles[0]) *
                    (side + gap) + gap, 3), 255, np.uint8)
    for r, row in enumerate(tiles):
        for c, tile in enumerate(row):
            y, x = gap + r * (side + gap), gap + c * (side + gap)
            grid[y:y + side, x:x + side] = tile
    return grid


def make_grid(tiles: List[List[np.ndarray]], cols: int,
              panel: int) -> np.ndarray:
    """Tiles of panels side by side, ``cols`` tiles per row."""
    rendered = []
    for panels in tiles:
        row = [
            cv2.resize(
                p, (panel, panel * p.shape[0] // p.shape[1]),
                interpolation=cv2.INTER_AREA) for p in panels
        ]
        height = max(r.shape[0] for r in row)
        row = [
            np.pad(r, ((0, height - r.shape[0]), (0, 0), (0, 0))) for r in row
        ]
        tile = np.concatenate(row, axis=1)
        rendered.append(
            np.pad(tile, ((2, 2), (2, 2), (0, 0)), constant_values=255))
    height = max(t.shape[0] for t in rendered)
    rendered = [
        np.pad(
            t, ((0, height - t.shape[0]), (0, 0), (0, 0)), constant_values=255)
        for t in rendered
    ]
    blank = np.full_like(rendered[0], 255)
    while len(rendered) % cols:
        rendered.append(blank)
    rows = [
        np.concatenate(rendered[i:i + cols], axis=1)
        for i in range(0, len(rendered), cols)
    ]
    return np.concatenate(rows, axis=0)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Draw synthetic images and labels into a PNG grid')
    parser.add_argument('--root', default='data/synthetic')
    parser.add_argument('--split', default='coco', choices=SPLITS)
    parser.add_argument(
        '--subset', default=None, help='default: the first of the split')
    parser.add_argument('--num', type=int, default=16)
    parser.add_argument('--cols', type=int, default=4, help='images per row')
    parser.add_argument(
        '--panel', type=int, default=256, help='panel width in pixels')
    parser.add_argument('--smpl-root', default='embedded')
    parser.add_argument(
        '--views',
        action='store_true',
        help='person crops at chosen headings and mirrored (no data root)')
    parser.add_argument(
        '--crop', type=int, default=64, help='--views: crop side (px)')
    parser.add_argument(
        '--image-size',
        type=int,
        default=128,
        help='--views: side of the rendered image (px)')
    parser.add_argument(
        '--zoom', type=int, default=3, help='--views: enlargement')
    parser.add_argument(
        '--appearance',
        default='v2',
        choices=['v2', 'v1'],
        help='--views: the look')
    parser.add_argument(
        '--seed', type=int, default=0, help='--views: seed of the first row')
    parser.add_argument('--out', default='grid.png')
    return parser.parse_args()


def write_png(path: str, rgb: np.ndarray) -> None:
    if not cv2.imwrite(path, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise SystemExit(f'could not write {path}')


def main() -> None:
    args = parse_args()
    if args.views:
        grid = view_grid(
            view_panels(args.appearance, args.num, args.crop, args.image_size,
                        args.seed), args.zoom)
        write_png(args.out, grid)
        print(f'wrote {args.out} ({args.num} people, {grid.shape[1]}x'
              f'{grid.shape[0]} px)')
        return
    subsets = split_files(args.root, args.split)
    subset = args.subset or next(iter(subsets))
    if subset not in subsets:
        raise SystemExit(f'split "{args.split}" has subsets {list(subsets)}, '
                         f'not "{subset}"')
    if args.split == 'coco':
        tiles = coco_panels(args.root, subset, args.num)
    else:
        tiles = human_data_panels(args.root, args.split, subset, args.num,
                                  args.smpl_root)
    grid = make_grid(tiles, args.cols, args.panel)
    write_png(args.out, grid)
    print(f'wrote {args.out} ({len(tiles)} images, {grid.shape[1]}x'
          f'{grid.shape[0]} px)')


if __name__ == '__main__':
    main()
