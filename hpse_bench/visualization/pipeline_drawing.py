"""Drawing what a data pipeline hands to a model (network inputs and
labels), and crop-space predictions (DensePose, part maps).

One panel per network input (the views of contrastive pre-training, or the
single crop of fine-tuning and DensePose) with its keypoints, then one panel
per dense field (part maps, segments, DensePose, heatmaps), optionally
preceded by the original image with the crop drawn on it, and a legend.
"""
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.structures import BaseDataElement

from hpse_bench.structures.conventions import (DENSEPOSE_CHARTS,
                                               DENSEPOSE_COARSE_PARTS, SMPL_24)
from .human_mesh_visualizer import HumanMeshVisualizer
from .legend import add_caption, append_legend, hconcat
from .palettes import JOINT_NAMES
from .sample_fields import (crop_keypoints, dense_map, get_field, sample_id,
                            to_numpy)


def input_images(inputs, bgr: bool = True) -> List[np.ndarray]:
    """Network inputs ``(C, H, W)`` (a tensor, or a list of views) as RGB
    ``(H, W, 3)`` uint8 pictures; float inputs are stretched to 0..255."""
    views = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    if isinstance(inputs, torch.Tensor) and inputs.dim() == 4:
        views = list(inputs)
    out = []
    for view in views:
        arr = to_numpy(view)
        if arr.ndim == 3 and arr.shape[0] in (1, 3):
            arr = arr.transpose(1, 2, 0)
        if arr.ndim == 2:
            arr = arr[..., None]
        if arr.shape[2] == 1:
            arr = np.repeat(arr, 3, axis=2)
        if arr.dtype != np.uint8:
            lo, hi = float(arr.min()), float(arr.max())
            arr = ((arr - lo) / max(hi - lo, 1e-12) * 255).round()
            arr = arr.astype(np.uint8)
        out.append(np.ascontiguousarray(arr[..., ::-1] if bgr else arr))
    return out


def _convention(num: int) -> Optional[str]:
    # Crop keypoints of every hpse_bench pipeline are COCO-17.
    for name in ('coco_17', 'lsp_14', 'smpl_24'):
        if len(JOINT_NAMES[name]) == num:
            return name
    return None


def crop_outline(sample: BaseDataElement,
                 crop_shape: Sequence[int]) -> Optional[np.ndarray]:
    """``(4, 2)`` corners of the network input in the original image: from
    ``warp_mat`` (hpse_bench) or ``input_center`` / ``input_scale``
    (mmpose, rotation not recorded)."""
    h, w = int(crop_shape[0]), int(crop_shape[1])
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)
    warp = get_field(sample, 'warp_mat')
    if warp is not None:
        warp = to_numpy(warp).astype(np.float64)
        return (corners - warp[:, 2]) @ np.linalg.inv(warp[:, :2]).T
    centre = get_field(sample, 'input_center')
    scale = get_field(sample, 'input_scale')
    if centre is not None and scale is not None:
        centre = to_numpy(centre).reshape(-1)[:2].astype(np.float64)
        scale = to_numpy(scale).reshape(-1)[:2].astype(np.float64)
        return centre + (corners / [w, h] - 0.5) * scale
    return None


def muted_image(image: np.ndarray) -> np.ndarray:
    """A darkened grey copy of an RGB image, a quiet ground for label
    colours."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return np.repeat((grey * 0.6)[..., None], 3, axis=2).astype(np.uint8)


def _zoom_points(points, zoom: int) -> np.ndarray:
    """Crop pixels -> pixels of the crop enlarged ``zoom`` times (pixel
    centres at integers in both)."""
    return np.asarray(to_numpy(points), np.float64) * zoom + (zoom - 1) / 2


def _original_panel(vis: HumanMeshVisualizer, original: np.ndarray,
                    sample: BaseDataElement,
                    crop_shape: Sequence[int]) -> np.ndarray:
    """The original image with the crop outline, on a grey margin wide
    enough for the part of the crop that lies outside the image (at most
    the image's size on each side)."""
    outline = crop_outline(sample, crop_shape)
    if outline is None:
        return original
    h, w = original.shape[:2]
    left, top = np.clip(np.ceil(-outline.min(0)), 0, [w, h]).astype(int)
    right, bottom = np.clip(np.ceil(outline.max(0) - [w, h]), 0,
                            [w, h]).astype(int)
    canvas = np.full((top + h + bottom, left + w + right, 3), 128, np.uint8)
    canvas[top:top + h, left:left + w] = original
    vis.set_image(canvas)
    vis.draw_boxes((outline + [left, top])[None], labels=['network input'])
    return vis.get_image()


def _dense_panels(vis: HumanMeshVisualizer, base: np.ndarray,
                  sample: BaseDataElement,
                  zoom: int) -> List[Tuple[str, np.ndarray]]:
    """(caption, picture) of each dense field of the sample over ``base``
    (the crop enlarged ``zoom`` times), greyed so that the colours read."""
    panels = []
    muted = muted_image(base)

    def panel(caption, draw):
        vis.set_image(muted)
        draw()
        panels.append((caption, vis.get_image()))

    parts = get_field(sample, 'gt_part_segmentation')
    if parts is not None:
        panel('parts (SMPL)',
              lambda: vis.draw_part_map(to_numpy(parts), SMPL_24))
    target = get_field(sample, 'gt_densepose')
    if target is not None and bool(to_numpy(target.has_densepose)):
        panel(
            'DensePose parts', lambda: vis.draw_part_map(
                to_numpy(target.coarse_segm), DENSEPOSE_COARSE_PARTS))
        panel(
            'DensePose points (I)', lambda: vis.draw_densepose_points(
                _zoom_points(target.points, zoom), target.charts,
                DENSEPOSE_CHARTS))
    pred = get_field(sample, 'pred_densepose')
    if pred is not None and 'charts' in pred:
        panel(
            'pred. DensePose IUV', lambda: vis.draw_densepose_iuv(
                dense_map(pred, 'charts'), dense_map(pred, 'u'),
                dense_map(pred, 'v'), DENSEPOSE_CHARTS))
    pred_parts = get_field(sample, 'pred_part_segm')
    if pred_parts is not None and pred is None:
        panel(
            'pred. parts', lambda: vis.draw_part_map(
                dense_map(pred_parts), DENSEPOSE_COARSE_PARTS))
    fields = get_field(sample, 'gt_fields')
    if fields is not None and 'heatmaps' in fields:
        heat = to_numpy(fields.heatmaps).max(axis=0)
        heat = cv2.resize(heat.astype(np.float32), base.shape[1::-1])
        color = cv2.applyColorMap(
            np.clip(heat * 255, 0, 255).astype(np.uint8),
            cv2.COLORMAP_JET)[..., ::-1]
        panels.append(
            ('heatmaps (max)', (0.5 * base + 0.5 * color).astype(np.uint8)))
    return panels


def draw_pipeline_sample(vis: HumanMeshVisualizer,
                         inputs,
                         data_sample: BaseDataElement,
                         bgr: bool = True,
                         original: Optional[np.ndarray] = None,
                         skeleton: Optional[Sequence[Tuple[int, int]]] = None,
                         zoom: int = 1) -> np.ndarray:
    """Draw one packed sample: ``[original | views | dense fields]``.

    Args:
        vis: the visualiser to draw with (its legend is reset).
        inputs: the packed ``inputs`` (a ``(C, H, W)`` tensor or a list of
            views).
        data_sample: the packed data sample.
        bgr: whether ``inputs`` are BGR (the OpenMMLab loaders' default).
        original: the original RGB image, drawn first with the crop outline.
        skeleton: links for keypoints of no hpse_bench convention (e.g.
            from an mmpose dataset's ``skeleton_links``).
        zoom: enlarge the network inputs this many times (nearest
            neighbour, so their pixels stay visible) before drawing.

    Returns:
        The RGB picture, captioned with the sample id.
    """
    vis.clear_legend()
    crops = input_images(inputs, bgr)
    views = [
        cv2.resize(c, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_NEAREST)
        for c in crops
    ]
    keypoints = crop_keypoints(data_sample)
    panels: List[Tuple[str, np.ndarray]] = []
    if original is not None:
        panels.append(('original',
                       _original_panel(vis, original, data_sample,
                                       crops[0].shape[:2])))
    segments = get_field(data_sample, 'gt_segments')
    for v, view in enumerate(views):
        vis.set_image(view)
        # One keypoint set per view (pre-training) or all on the one crop.
        sets = [keypoints[v]] if len(keypoints) == len(views) else (
            keypoints if v == 0 else [])
        for xy, score in sets:
            conv = None if skeleton else _convention(len(xy))
            vis.draw_keypoints(
                _zoom_points(xy, zoom),
                score,
                conv,
                label='keypoints',
                links=skeleton)
        caption = f'view {v}' if len(views) > 1 else 'network input'
        panels.append((caption, vis.get_image()))
        if segments is not None and len(to_numpy(segments)) == len(views):
            seg = to_numpy(segments)[v]
            vis.set_image(muted_image(view))
            # DetCon's ids start at 0 and mark unsegmented pixels -1.
            names = [f'segment {i}' for i in range(int(seg.max()) + 1)]
            vis.draw_part_map(seg + 1, names)
            panels.append((f'segments, view {v}', vis.get_image()))
    panels.extend(_dense_panels(vis, views[0], data_sample, zoom))
    drawn = hconcat([add_caption(p, c) for c, p in panels])
    return append_legend(drawn, vis.legend_entries(), sample_id(data_sample))
