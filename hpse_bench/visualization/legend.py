"""Legends and captions drawn beside a picture.

A legend is a panel appended on the right of the picture (and below it when
the legend is taller), so the picture's own pixels keep their coordinates:
what was drawn at ``(x, y)`` stays at ``(x, y)``.
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

Entry = Tuple[str, Sequence[int]]  # (text, RGB colour)

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_PANEL_COLOR = (255, 255, 255)
_TEXT_COLOR = (20, 20, 20)


def _font_scale(height: int) -> float:
    return float(np.clip(height / 700.0, 0.35, 0.6))


def append_legend(image: np.ndarray,
                  entries: Sequence[Entry],
                  title: Optional[str] = None) -> np.ndarray:
    """Return ``image`` with a legend panel on its right.

    Args:
        image: ``(H, W, 3)`` uint8 picture, RGB.
        entries: ``(text, colour)`` pairs, one swatch and line each.
        title: optional first line (e.g. the sample id).

    Returns:
        ``(max(H, h), W + w, 3)`` uint8; the picture at the top left, the
        rest filled white.
    """
    lines = ([(title, None)] if title else []) + list(entries)
    if not lines:
        return image
    scale = _font_scale(image.shape[0])
    thickness = 1
    (_, text_h), baseline = cv2.getTextSize('Ag', _FONT, scale, thickness)
    line_h = text_h + baseline + 6
    swatch = text_h + baseline
    pad = 6
    widths = [
        cv2.getTextSize(text, _FONT, scale, thickness)[0][0] +
        (0 if color is None else swatch + pad) for text, color in lines
    ]
    panel_w = max(widths) + 2 * pad
    panel_h = len(lines) * line_h + 2 * pad
    height = max(image.shape[0], panel_h)
    out = np.full((height, image.shape[1] + panel_w, 3),
                  _PANEL_COLOR,
                  dtype=np.uint8)
    out[:image.shape[0], :image.shape[1]] = image
    x0 = image.shape[1] + pad
    for row, (text, color) in enumerate(lines):
        top = pad + row * line_h
        x = x0
        if color is not None:
            cv2.rectangle(out, (x, top), (x + swatch, top + swatch),
                          tuple(int(c) for c in color), -1)
            cv2.rectangle(out, (x, top), (x + swatch, top + swatch),
                          _TEXT_COLOR, 1)
            x += swatch + pad
        cv2.putText(out, text, (x, top + text_h), _FONT, scale, _TEXT_COLOR,
                    thickness, cv2.LINE_AA)
    return out


def hconcat(panels: Sequence[np.ndarray], gap: int = 4) -> np.ndarray:
    """Panels side by side on a white background, top-aligned."""
    height = max(p.shape[0] for p in panels)
    width = sum(p.shape[1] for p in panels) + gap * (len(panels) - 1)
    out = np.full((height, width, 3), _PANEL_COLOR, dtype=np.uint8)
    x = 0
    for p in panels:
        out[:p.shape[0], x:x + p.shape[1]] = p
        x += p.shape[1] + gap
    return out


def add_caption(image: np.ndarray, text: str) -> np.ndarray:
    """Return ``image`` with a white strip above it holding ``text``."""
    scale = _font_scale(max(image.shape[0], 200))
    (w, h), baseline = cv2.getTextSize(text, _FONT, scale, 1)
    strip = h + baseline + 8
    out = np.full((image.shape[0] + strip, max(image.shape[1], w + 8), 3),
                  _PANEL_COLOR,
                  dtype=np.uint8)
    out[strip:, :image.shape[1]] = image
    cv2.putText(out, text, (4, 4 + h), _FONT, scale, _TEXT_COLOR, 1,
                cv2.LINE_AA)
    return out
