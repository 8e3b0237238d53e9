"""Mesh (or 3D keypoint) predictions drawn over images, folders or videos.

    python demo/image_demo.py INPUT CONFIG CHECKPOINT [--bbox X1 Y1 X2 Y2]...
        [--out-dir DIR] [--device cpu] [--bbox-scale-factor 1.2]
        [--alpha 0.9] [--max-frames N] [--cfg-options k=v ...]

INPUT is an image, a folder of images or a video. CHECKPOINT may be ``none``
(the config's initial weights: the mean body for the SMPL regressors). For
each image (or video frame) ``<name>`` the demo writes to ``--out-dir``:

- ``<name>_overlay.png``: the image with the predicted meshes (SMPL
  regressors) or H36M-17 skeletons (integral regressor), the person boxes
  and a legend on the right (the image keeps its pixel coordinates);
- ``<name>_side.png``: the prediction turned 90 degrees about the vertical;
- ``<name>_pred.json``: per person the box and the predictions (SMPL
  parameters, weak-perspective camera, its camera matrix in image pixels,
  camera translation, 2D and 3D joints);

and for a video also ``<name>_overlay.mp4``. Without ``--bbox`` the whole
image is the person box. See docs/visualization.md.
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Iterator, List, Optional, Tuple

import cv2
import numpy as np
from mmengine.config import DictAction

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm')
# Prediction fields written to <name>_pred.json (the vertices are left out:
# they follow from the SMPL parameters).
SAVED_FIELDS = ('pred_smpl_pose', 'pred_smpl_betas', 'pred_cam', 'pred_cam_t',
                'pred_camera_intrinsics', 'pred_keypoints2d_img',
                'pred_keypoints3d', 'pred_keypoints3d_cam')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Draw predicted meshes over images, folders or videos')
    parser.add_argument('input', help='image, folder of images, or video')
    parser.add_argument('config', help='fine-tuning config file')
    parser.add_argument('checkpoint', help='checkpoint file, or "none"')
    parser.add_argument(
        '--bbox',
        nargs=4,
        type=float,
        action='append',
        metavar=('X1', 'Y1', 'X2', 'Y2'),
        help='person box in pixels; repeat for several people (default: '
        'the whole image)')
    parser.add_argument(
        '--out-dir', default='demo_outputs', help='where to write')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--bbox-scale-factor',
        type=float,
        default=1.2,
        help='crop side = max(box w, h) times this (SPIN: 1.2)')
    parser.add_argument(
        '--alpha', type=float, default=0.9, help='mesh opacity')
    parser.add_argument(
        '--max-frames',
        type=int,
        default=None,
        help='stop a video after this many frames')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs')
    return parser.parse_args(argv)


def iter_inputs(
    path: str,
    max_frames: Optional[int] = None
) -> Iterator[Tuple[str, np.ndarray, bool]]:
    """Yield ``(name, BGR image, is_video_frame)`` for an image, each image
    of a folder (sorted) or each frame of a video."""
    if osp.isdir(path):
        names = sorted(
            n for n in os.listdir(path)
            if n.lower().endswith(IMAGE_EXTENSIONS))
        if not names:
            raise FileNotFoundError(f'no images in folder {path}')
        for n in names:
            yield from iter_inputs(osp.join(path, n))
        return
    if not osp.isfile(path):
        raise FileNotFoundError(f'input not found: {path}')
    stem = osp.splitext(osp.basename(path))[0]
    if path.lower().endswith(VIDEO_EXTENSIONS):
        capture = cv2.VideoCapture(path)
        if not capture.isOpened():
            raise ValueError(f'cannot open video {path}')
        index = 0
        while max_frames is None or index < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            yield f'{stem}_{index:06d}', frame, True
            index += 1
        capture.release()
        return
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f'cannot decode image {path}')
    yield stem, image, False


def prediction_record(sample) -> dict:
    """JSON-ready box and predictions of one person."""
    record = dict(bbox=[float(v) for v in sample.metainfo['bbox']])
    for field in SAVED_FIELDS:
        if field in sample:
            record[field] = sample.get(field).detach().cpu().tolist()
    return record


def draw(visualizer, image_bgr: np.ndarray, samples,
         title: str) -> Tuple[np.ndarray, np.ndarray]:
    """``(overlay with legend, side view)``, both RGB."""
    from hpse_bench.visualization.legend import append_legend

    rgb = np.ascontiguousarray(image_bgr[..., ::-1])
    visualizer.clear_legend()
    visualizer.set_image(rgb)
    visualizer.draw_predictions(samples, draw_gt=False)
    overlay = append_legend(visualizer.get_image(),
                            visualizer.legend_entries(), title)
    side = visualizer.side_view(rgb.shape[:2], samples)
    return overlay, side


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    for path in (args.input, args.config):
        if not osp.exists(path):
            print(f'image_demo: not found: {path}', file=sys.stderr)
            return 1
    if args.checkpoint.lower() != 'none' and not osp.isfile(args.checkpoint):
        print(
            f'image_demo: checkpoint not found: {args.checkpoint}',
            file=sys.stderr)
        return 1
    import torch

    from hpse_bench.apis.inference import inference_mesh, init_model
    from hpse_bench.visualization import HumanMeshVisualizer, is_mesh_regressor

    checkpoint = None if args.checkpoint.lower() == 'none' else \
        args.checkpoint
    model = init_model(args.config, checkpoint, args.device, args.cfg_options)
    faces = model.body_model.faces if is_mesh_regressor(model) else None
    visualizer = HumanMeshVisualizer(
        name='image_demo', faces=faces, alpha=args.alpha)
    os.makedirs(args.out_dir, exist_ok=True)
    videos = {}
    for name, image, is_frame in iter_inputs(args.input, args.max_frames):
        with torch.no_grad():
            samples = inference_mesh(model, image, args.bbox,
                                     args.bbox_scale_factor)
        overlay, side = draw(visualizer, image, samples, name)
        base = osp.join(args.out_dir, name)
        cv2.imwrite(f'{base}_overlay.png', overlay[..., ::-1])
        cv2.imwrite(f'{base}_side.png', side[..., ::-1])
        with open(f'{base}_pred.json', 'w') as f:
            json.dump(
                dict(
                    image=name,
                    image_shape=list(image.shape[:2]),
                    people=[prediction_record(s) for s in samples]), f)
        if is_frame:
            stem = name.rsplit('_', 1)[0]
            if stem not in videos:
                path = osp.join(args.out_dir, f'{stem}_overlay.mp4')
                videos[stem] = cv2.VideoWriter(path,
                                               cv2.VideoWriter_fourcc(*'mp4v'),
                                               25.0, overlay.shape[1::-1])
            videos[stem].write(np.ascontiguousarray(overlay[..., ::-1]))
        print(f'{name}: {len(samples)} people -> {base}_overlay.png, '
              f'{base}_side.png, {base}_pred.json')
    for writer in videos.values():
        writer.release()
    return 0


if __name__ == '__main__':
    sys.exit(main())
