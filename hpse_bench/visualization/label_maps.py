"""Colouring of dense label maps: part segmentations and DensePose IUV.

DensePose IUV is drawn as detectron2's contour visualiser does: the chart
index ``I`` as a colour per chart and the chart coordinates ``U`` and ``V``
as iso-lines (every 0.1) on top.
"""
from typing import Sequence

import cv2
import numpy as np

from .palettes import Color

#: Colours of the U and V iso-lines.
U_LINE_COLOR: Color = (255, 255, 255)
V_LINE_COLOR: Color = (30, 30, 30)
#: Label ids of the background, left undrawn.
BACKGROUND_IDS = (0, )


def resize_labels(labels: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """Nearest-neighbour resize of an integer map to ``(H, W)``."""
    labels = np.asarray(labels)
    h, w = int(shape[0]), int(shape[1])
    if labels.shape == (h, w):
        return labels
    return cv2.resize(
        labels.astype(np.int32), (w, h),
        interpolation=cv2.INTER_NEAREST).astype(labels.dtype)


def overlay_labels(image: np.ndarray,
                   labels: np.ndarray,
                   palette: Sequence[Color],
                   alpha: float = 0.6,
                   ignore: Sequence[int] = BACKGROUND_IDS) -> np.ndarray:
    """Blend the colours of a label map over an image.

    Args:
        image: ``(H, W, 3)`` uint8.
        labels: ``(H', W')`` integer map, resized (nearest) to the image;
            ids outside the palette are an error.
        palette: colour of each id.
        alpha: opacity of the colours.
        ignore: ids left undrawn (the background).

    Returns:
        ``(H, W, 3)`` uint8.
    """
    labels = resize_labels(labels, image.shape[:2]).astype(np.int64)
    if labels.size and (labels.min() < -1 or labels.max() >= len(palette)):
        raise ValueError(f'label ids {labels.min()}..{labels.max()} do not '
                         f'fit a palette of {len(palette)} colours')
    colors = np.asarray(palette, dtype=np.float64)
    drawn = ~np.isin(labels, list(ignore)) & (labels >= 0)
    out = image.copy()
    blend = (
        alpha * colors[labels[drawn]] +
        (1 - alpha) * image[drawn].astype(np.float64))
    out[drawn] = np.clip(np.rint(blend), 0, 255).astype(np.uint8)
    return out


def iso_lines(values: np.ndarray,
              region: np.ndarray,
              step: float = 0.1) -> np.ndarray:
    """Pixels ``(H, W)`` bool where ``values`` crosses a multiple of
    ``step`` between horizontal or vertical neighbours of ``region`` that
    share a label (so chart borders are not drawn as iso-lines).

    Args:
        values: ``(H, W)`` float map (e.g. DensePose ``U``).
        region: ``(H, W)`` integer map; 0 is outside.
        step: spacing of the lines.
    """
    bins = np.floor(np.asarray(values, dtype=np.float64) / step)
    region = np.asarray(region)
    lines = np.zeros(region.shape, dtype=bool)
    same_x = (region[:, 1:] == region[:, :-1]) & (region[:, 1:] > 0)
    same_y = (region[1:] == region[:-1]) & (region[1:] > 0)
    lines[:, 1:] |= same_x & (bins[:, 1:] != bins[:, :-1])
    lines[1:] |= same_y & (bins[1:] != bins[:-1])
    return lines


def draw_iuv(image: np.ndarray,
             charts: np.ndarray,
             u: np.ndarray,
             v: np.ndarray,
             palette: Sequence[Color],
             alpha: float = 0.6) -> np.ndarray:
    """DensePose IUV over an image: chart colours and U/V iso-lines.

    Args:
        image: ``(H, W, 3)`` uint8.
        charts: ``(H, W)`` chart index ``I`` (0 background, 1..24).
        u, v: ``(H, W)`` chart coordinates in ``[0, 1]``.
        palette: colours of ``0..24``.
        alpha: opacity of the chart colours.
    """
    shape = image.shape[:2]
    charts = resize_labels(charts, shape)
    if np.shape(u) != tuple(shape):
        u = cv2.resize(
            np.asarray(u, np.float32),
            shape[::-1],
            interpolation=cv2.INTER_NEAREST)
        v = cv2.resize(
            np.asarray(v, np.float32),
            shape[::-1],
            interpolation=cv2.INTER_NEAREST)
    out = overlay_labels(image, charts, palette, alpha)
    out[iso_lines(u, charts)] = U_LINE_COLOR
    out[iso_lines(v, charts)] = V_LINE_COLOR
    return out
