"""Procedural backgrounds: studio (Human3.6M-like), clutter (COCO-like) and
outdoor (3DPW-like) scenes, drawn with numpy and OpenCV from a random
generator so that the same seed gives the same pixels.

None is flat: every style mixes gradients, multi-octave value noise and
shapes, so that a network cannot segment people by colour alone.
"""
from typing import Callable, Dict, Optional, Tuple

import cv2
import numpy as np


def value_noise(rng: np.random.Generator,
                size: Tuple[int, int],
                octaves: int = 4,
                base_cells: int = 3,
                persistence: float = 0.55) -> np.ndarray:
    """Multi-octave value noise in ``[0, 1]``, shape ``size`` (H, W).

    Each octave is a random grid, twice as fine as the previous one, resized
    bicubically to the image; amplitudes fall by ``persistence``.
    """
    height, width = size
    out = np.zeros((height, width), dtype=np.float32)
    amplitude, total = 1.0, 0.0
    for octave in range(octaves):
        cells = base_cells * 2**octave
        grid = rng.random((cells + 1, cells + 1)).astype(np.float32)
        out += amplitude * cv2.resize(
            grid, (width, height), interpolation=cv2.INTER_CUBIC)
        total += amplitude
        amplitude *= persistence
    out /= total
    lo, hi = out.min(), out.max()
    return (out - lo) / max(hi - lo, 1e-6)


def _random_color(rng: np.random.Generator,
                  saturation: Tuple[float, float] = (0.1, 0.9),
                  value: Tuple[float, float] = (0.2, 0.95)) -> np.ndarray:
    """An RGB colour in ``[0, 1]`` from a random hue."""
    hsv = np.array([[[
        rng.uniform(0, 180),
        rng.uniform(*saturation) * 255,
        rng.uniform(*value) * 255
    ]]], dtype=np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(
        np.float32) / 255


def _vertical_gradient(height: int, width: int, top: np.ndarray,
                       bottom: np.ndarray) -> np.ndarray:
    t = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    return np.broadcast_to(top * (1 - t) + bottom * t,
                           (height, width, 3)).copy()


def _to_uint8(img: np.ndarray) -> np.ndarray:
    return np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)


def _horizon_row(rng: np.random.Generator, height: int,
                 horizon: Optional[float],
                 default: Tuple[float, float]) -> int:
    """Row of the horizon (it may lie outside the image), clamped so that
    the drawing code stays in a sane range."""
    if horizon is None:
        horizon = height * rng.uniform(*default)
    return int(np.clip(horizon, -height, 2 * height))


def studio_background(rng: np.random.Generator,
                      size: Tuple[int, int],
                      horizon: Optional[float] = None) -> np.ndarray:
    """A lab-like room: a muted wall, a floor with a perspective grid, a
    few dark props and a vignette, as in Human3.6M's capture studio."""
    height, width = size
    horizon = _horizon_row(rng, height, horizon, (0.45, 0.7))
    wall = _random_color(rng, (0.0, 0.25), (0.35, 0.75))
    floor = _random_color(rng, (0.0, 0.3), (0.25, 0.6))
    img = _vertical_gradient(height, width, wall * 1.1, wall * 0.85)
    if horizon < height:
        top = max(horizon, 0)
        img[top:] = _vertical_gradient(height - top, width, floor * 0.8,
                                       floor * 1.15)
    # Floor tiles: lines converging to a vanishing point on the horizon.
    vx = rng.uniform(0.2, 0.8) * width
    line = tuple(float(c) for c in floor * 0.7)
    for k in range(-8, 9):
        x_bottom = vx + k * width * rng.uniform(0.18, 0.24)
        cv2.line(img, (int(vx), horizon), (int(x_bottom), height), line, 1,
                 cv2.LINE_AA)
    for k in range(1, 7):
        y = horizon + int((height - horizon) * (k / 7.0)**1.8)
        cv2.line(img, (0, y), (width, y), line, 1, cv2.LINE_AA)
    # Props: dark stands and boxes against the wall.
    for _ in range(rng.integers(1, 5)):
        x0 = int(rng.uniform(0, width))
        w = int(rng.uniform(0.02, 0.12) * width)
        top = int(rng.uniform(0.1, 0.6) * horizon)
        shade = tuple(float(c) for c in _random_color(rng, (0, 0.2),
                                                      (0.05, 0.35)))
        cv2.rectangle(img, (x0, top), (x0 + w, horizon + int(
            rng.uniform(0, 0.1) * height)), shade, -1)
    img *= (0.9 + 0.2 * value_noise(rng, size, octaves=3))[..., None]
    # Vignette of studio lighting.
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    r2 = ((xx - width / 2) / width)**2 + ((yy - height / 2) / height)**2
    img *= (1.0 - rng.uniform(0.3, 0.7) * r2)[..., None]
    return _to_uint8(img)


def clutter_background(rng: np.random.Generator,
                       size: Tuple[int, int],
                       horizon: Optional[float] = None) -> np.ndarray:
    """Coloured noise, gradients and many random shapes, as in the varied
    indoor and outdoor scenes of COCO (no horizon: ``horizon`` is
    ignored)."""
    height, width = size
    c0, c1 = _random_color(rng), _random_color(rng)
    noise = value_noise(rng, size, octaves=5, base_cells=2)[..., None]
    img = c0 * (1 - noise) + c1 * noise
    grad = _vertical_gradient(height, width, _random_color(rng),
                              _random_color(rng))
    img = 0.6 * img + 0.4 * grad
    scale = max(height, width)
    for _ in range(rng.integers(12, 30)):
        color = tuple(float(c) for c in _random_color(rng))
        kind = rng.integers(0, 5)
        cx, cy = rng.uniform(-0.1, 1.1) * width, rng.uniform(-0.1,
                                                             1.1) * height
        if kind == 0:
            w, h = rng.uniform(0.05, 0.5, 2) * scale
            cv2.rectangle(img, (int(cx - w / 2), int(cy - h / 2)),
                          (int(cx + w / 2), int(cy + h / 2)), color, -1)
        elif kind == 1:
            axes = (int(rng.uniform(0.02, 0.25) * scale),
                    int(rng.uniform(0.02, 0.25) * scale))
            cv2.ellipse(img, (int(cx), int(cy)), axes,
                        float(rng.uniform(0, 180)), 0, 360, color, -1,
                        cv2.LINE_AA)
        elif kind == 2:
            n = int(rng.integers(3, 7))
            pts = np.stack([
                cx + rng.uniform(-0.2, 0.2, n) * scale,
                cy + rng.uniform(-0.2, 0.2, n) * scale
            ], axis=1).astype(np.int32)
            cv2.fillPoly(img, [pts], color, cv2.LINE_AA)
        elif kind == 3:
            x1 = cx + rng.uniform(-0.5, 0.5) * scale
            y1 = cy + rng.uniform(-0.5, 0.5) * scale
            cv2.line(img, (int(cx), int(cy)), (int(x1), int(y1)), color,
                     int(rng.integers(1, 6)), cv2.LINE_AA)
        else:
            # A striped panel (shelves, blinds, fences).
            w, h = rng.uniform(0.1, 0.4, 2) * scale
            x0, y0 = int(cx - w / 2), int(cy - h / 2)
            period = int(rng.integers(4, 14))
            dark = tuple(0.6 * c for c in color)
            for y in range(y0, int(y0 + h), period):
                cv2.rectangle(img, (x0, y), (int(x0 + w), y + period // 2),
                              color, -1)
                cv2.rectangle(img, (x0, y + period // 2),
                              (int(x0 + w), y + period), dark, -1)
    img *= (0.8 + 0.4 * value_noise(rng, size, octaves=4))[..., None]
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.2))
    return _to_uint8(img)


def outdoor_background(rng: np.random.Generator,
                       size: Tuple[int, int],
                       horizon: Optional[float] = None) -> np.ndarray:
    """Sky, facades with windows, trees and pavement, as in 3DPW's city
    sequences."""
    height, width = size
    horizon = _horizon_row(rng, height, horizon, (0.35, 0.65))
    sky_top = np.array([0.35, 0.55, 0.85], np.float32) * rng.uniform(0.7, 1)
    sky_bottom = np.array([0.75, 0.82, 0.9], np.float32) * rng.uniform(
        0.8, 1)
    img = _vertical_gradient(height, width, sky_top, sky_bottom)
    ground = _random_color(rng, (0.0, 0.35), (0.25, 0.6))
    if horizon < height:
        top = max(horizon, 0)
        img[top:] = _vertical_gradient(height - top, width, ground,
                                       ground * 0.7)
    # Facades: rectangles standing on the horizon, each with windows.
    x = -rng.uniform(0, 0.2) * width
    while x < width:
        w = rng.uniform(0.15, 0.45) * width
        top = int(horizon - rng.uniform(0.2, 0.9) * horizon)
        wall = _random_color(rng, (0.05, 0.45), (0.35, 0.85))
        cv2.rectangle(img, (int(x), top), (int(x + w), horizon),
                      tuple(float(c) for c in wall), -1)
        glass = tuple(float(c) for c in wall * rng.uniform(0.3, 0.6))
        step_x = rng.uniform(0.04, 0.09) * width
        step_y = rng.uniform(0.05, 0.12) * height
        for wx in np.arange(x + step_x / 2, x + w - step_x / 2, step_x):
            for wy in np.arange(top + step_y / 2, horizon - step_y,
                                step_y):
                cv2.rectangle(img, (int(wx), int(wy)),
                              (int(wx + step_x * 0.55),
                               int(wy + step_y * 0.55)), glass, -1)
        x += w + rng.uniform(0, 0.1) * width
    # Trees: dark green blobs on trunks.
    for _ in range(rng.integers(0, 4)):
        tx = int(rng.uniform(0, width))
        r = int(rng.uniform(0.06, 0.18) * height)
        leaves = np.array([0.15, 0.35, 0.12], np.float32) * rng.uniform(
            0.6, 1.4)
        cv2.line(img, (tx, horizon), (tx, horizon - 2 * r),
                 (0.25, 0.18, 0.1), max(2, r // 5))
        cv2.circle(img, (tx, horizon - 2 * r), r,
                   tuple(float(c) for c in leaves), -1, cv2.LINE_AA)
    # Pavement joints in perspective.
    vx = rng.uniform(0.2, 0.8) * width
    line = tuple(float(c) for c in ground * 0.6)
    for k in range(-6, 7):
        cv2.line(img, (int(vx), horizon),
                 (int(vx + k * width * 0.3), height), line, 1, cv2.LINE_AA)
    img *= (0.85 + 0.3 * value_noise(rng, size, octaves=5))[..., None]
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.0))
    return _to_uint8(img)


BACKGROUNDS: Dict[str, Callable[..., np.ndarray]] = {
                                    'studio': studio_background,
                                    'clutter': clutter_background,
                                    'outdoor': outdoor_background,
                                }


def render_background(style: str,
                      rng: np.random.Generator,
                      size: Tuple[int, int],
                      horizon: Optional[float] = None,
                      downscale: int = 2) -> np.ndarray:
    """An ``(H, W, 3)`` uint8 RGB background of the named style.

    ``horizon`` is the image row of the ground's vanishing line (from the
    camera's pitch), so that people standing on the ground plane stand on
    the drawn floor; random when None.

    It is drawn at ``1 / downscale`` of the size and upsampled: a quarter
    of the cost, and a background slightly softer than the people in front
    of it, as with a camera focused on them.
    """
    if style not in BACKGROUNDS:
        raise KeyError(f'unknown background style "{style}"; known: '
                       f'{sorted(BACKGROUNDS)}')
    height, width = int(size[0]), int(size[1])
    small = (max(1, height // downscale), max(1, width // downscale))
    img = BACKGROUNDS[style](rng, small, None if horizon is None else
                             horizon * small[0] / height)
    if small != (height, width):
        img = cv2.resize(img, (width, height), interpolation=cv2.INTER_LINEAR)
    return img
