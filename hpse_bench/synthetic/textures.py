"""Procedural clothing, skin and hair for the body mesh, and Lambert shading.

Like SURREAL's clothing textures, but generated: each person gets a skin
tone, hair, a top, a bottom and shoes. Garment extents are thresholds on the
rest-pose (T-pose) coordinates of the surface, which is where sleeves and
hems naturally lie (a sleeve ends at a distance from the shoulder along x, a
hem at a height along y), and the DensePose chart of each face says which
body part it belongs to. Patterns (stripes, checks, mottled fabric) are
functions of the rest-pose position too, so they follow the body as it moves
and have no seams.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

from hpse_bench.structures.conventions import (DENSEPOSE_CHARTS, SMPL_24,
                                               SMPL_FACE_VERTEX_IDS)
from .decals import paint_decals

SKIN, HAIR, TOP, BOTTOM, SHOES, EYES = range(6)
REGIONS = ('skin', 'hair', 'top', 'bottom', 'shoes', 'eyes')

# Skin tones (sRGB), light to dark.
SKIN_TONES = np.array(
    [[255, 224, 196], [241, 194, 150], [224, 172, 125], [198, 134, 90],
     [160, 100, 60], [110, 70, 45], [80, 52, 36]],
    dtype=np.float32) / 255
HAIR_COLORS = np.array([[20, 16, 14], [55, 38, 28], [95, 65, 40],
                        [170, 130, 80], [200, 175, 130], [140, 140, 140]],
                       dtype=np.float32) / 255
BOTTOM_COLORS = np.array([[40, 60, 100], [60, 80, 120], [25, 25, 28],
                          [90, 90, 95], [170, 150, 110], [60, 70, 50]],
                         dtype=np.float32) / 255


def _charts(*words: str) -> np.ndarray:
    """DensePose chart ids (1..24) whose name contains any of ``words``."""
    return np.array([
        i + 1 for i, name in enumerate(DENSEPOSE_CHARTS)
        if any(w in name for w in words)
    ])


HEAD_CHARTS = _charts('head')
HAND_CHARTS = _charts('hand')
FOOT_CHARTS = _charts('foot')
TORSO_CHARTS = _charts('torso')
ARM_CHARTS = _charts('arm')
LEG_CHARTS = _charts('leg')


@dataclass
class BodySurface:
    """What texturing needs to know about the body mesh.

    Attributes:
        faces: ``(F, 3)`` vertex indices.
        face_charts: ``(F,)`` DensePose chart 1..24 of each face.
        face_uv: ``(F, 3, 2)`` DensePose U, V at each face corner.
        rest_vertices: ``(V, 3)`` template vertices in the T-pose (metres,
            SMPL frame: +x subject's left, +y up, +z front).
        rest_joints: ``(24, 3)`` SMPL joints of the template.
    """
    faces: np.ndarray
    face_charts: np.ndarray
    face_uv: np.ndarray
    rest_vertices: np.ndarray
    rest_joints: np.ndarray
    face_rest_center: np.ndarray = field(init=False)
    masks: Dict[str, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        self.face_rest_center = self.rest_vertices[self.faces].mean(1)
        # Static per-face facts; only thresholds vary between people.
        charts = self.face_charts
        center = self.face_rest_center
        self.masks = {
            'torso': np.isin(charts, TORSO_CHARTS),
            'arms': np.isin(charts, ARM_CHARTS),
            'legs': np.isin(charts, LEG_CHARTS),
            'feet': np.isin(charts, FOOT_CHARTS),
            'head': np.isin(charts, HEAD_CHARTS),
        }
        self.eyes = np.zeros(len(charts), bool)
        for name in ('left_eye', 'right_eye'):
            eye = self.rest_vertices[SMPL_FACE_VERTEX_IDS[name]]
            self.eyes |= np.linalg.norm(center - eye, axis=1) < 0.011
        self.eyes &= self.masks['head']
        self.eye_y = 0.5 * (
            self.rest_vertices[SMPL_FACE_VERTEX_IDS['left_eye'], 1] +
            self.rest_vertices[SMPL_FACE_VERTEX_IDS['right_eye'], 1])
        self.abs_x = np.abs(center[:, 0])
        self.y = center[:, 1]
        self.z = center[:, 2]

    def joint(self, name: str) -> np.ndarray:
        return self.rest_joints[SMPL_24.index(name)]


@dataclass
class Appearance:
    """One person's look.

    Attributes:
        face_region: ``(F,)`` region (``SKIN`` .. ``EYES``) of every face.
        colors: ``(6, 2, 3)`` two RGB colours in ``[0, 1]`` per region (the
            second one is the pattern's).
        patterns: pattern name per region: 'solid', 'stripes', 'checks' or
            'mottled'.
        pattern_scale: ``(6,)`` period of the pattern in metres.
        noise_waves: ``(K, 4)`` random 3D waves (direction * frequency,
            phase) of the fabric noise.
        decals: ``decals.Decal`` shapes painted over the regions' colours,
            in order (hair, face, garment designs, accessories).
    """
    face_region: np.ndarray
    colors: np.ndarray
    patterns: List[str]
    pattern_scale: np.ndarray
    noise_waves: np.ndarray
    decals: list = field(default_factory=list)


def jitter(rng: np.random.Generator, color: np.ndarray,
           amount: float) -> np.ndarray:
    return np.clip(color * rng.uniform(1 - amount, 1 + amount, 3), 0, 1)


def garment_color(rng: np.random.Generator) -> np.ndarray:
    # HSV -> RGB without OpenCV's uint8 rounding.
    h, s, v = rng.random(), rng.uniform(0.15, 0.9), rng.uniform(0.2, 0.95)
    k = (np.array([5, 3, 1]) + h * 6) % 6
    return (v - v * s * np.clip(np.minimum(k, 4 - k), 0, 1)).astype(np.float32)


def garment_regions(rng: np.random.Generator,
                    surface: BodySurface) -> Tuple[np.ndarray, float]:
    """Draw the extents of the top, the bottom and the shoes.

    Returns:
        ``(F,)`` region of every face (``TOP``, ``BOTTOM``, ``SHOES``, the
        rest ``SKIN``) and the height of the waistband (rest pose, metres).
    """
    masks = surface.masks
    y, abs_x = surface.y, surface.abs_x
    region = np.full(len(y), SKIN, dtype=np.int8)

    pelvis_y = surface.joint('pelvis')[1]
    shoulder_x = abs(surface.joint('left_shoulder')[0])
    elbow_x = abs(surface.joint('left_elbow')[0])
    knee_y = surface.joint('left_knee')[1]

    # Top: torso above the waistband, arms up to the sleeve end.
    waist_y = pelvis_y + rng.uniform(0.0, 0.12)
    sleeve = rng.choice(4, p=[0.15, 0.4, 0.15, 0.3])
    sleeve_x = [
        shoulder_x + 0.03, shoulder_x + rng.uniform(0.08, 0.16),
        elbow_x + rng.uniform(0.0, 0.08), np.inf
    ][sleeve]
    above_waist = y >= waist_y
    region[masks['torso'] & above_waist] = TOP
    region[masks['arms'] & (abs_x < sleeve_x)] = TOP
    # Bottom: torso below the waistband, legs down to the hem.
    hem = rng.choice(3, p=[0.25, 0.15, 0.6])
    hem_y = [
        knee_y + rng.uniform(0.05, 0.2), knee_y - rng.uniform(0.1, 0.25),
        -np.inf
    ][hem]
    region[masks['torso'] & ~above_waist] = BOTTOM
    region[masks['legs'] & (y >= hem_y)] = BOTTOM
    region[masks['feet']] = SHOES
    return region, float(waist_y)


def sample_patterns(rng: np.random.Generator) -> tuple:
    """Patterns of the regions, their periods and the fabric noise waves
    (``Appearance.patterns``, ``pattern_scale``, ``noise_waves``)."""
    patterns = ['mottled', 'mottled', 'solid', 'solid', 'solid', 'solid']
    patterns[TOP] = str(
        rng.choice(['solid', 'stripes', 'checks', 'mottled'],
                   p=[0.4, 0.25, 0.15, 0.2]))
    patterns[BOTTOM] = str(rng.choice(['solid', 'mottled'], p=[0.5, 0.5]))
    scale = np.array([0.05, 0.03, rng.uniform(0.03, 0.09), 0.04, 0.05, 0.05])
    waves = rng.standard_normal((4, 4))
    waves[:, :3] *= rng.uniform(30, 90)  # ~ 5-20 cm blotches
    waves[:, 3] = rng.uniform(0, 2 * np.pi, 4)
    return patterns, scale, waves


def sample_appearance(rng: np.random.Generator,
                      surface: BodySurface) -> Appearance:
    """Draw skin, hair, garments and their patterns for one person: the
    ``appearance='v1'`` look (two small eye patches, 10 % bald, garments
    alike front and back and left and right; ``wardrobe`` draws the
    default look)."""
    masks = surface.masks
    y = surface.y
    head = surface.joint('head')
    region, _ = garment_regions(rng, surface)
    # Hair: the top of the head, longer at the back; sometimes none.
    if rng.random() > 0.1:
        top_of_head = y > surface.eye_y + rng.uniform(0.02, 0.045)
        back = (surface.z < head[2] + rng.uniform(-0.03, 0.0)) & (
            y > surface.eye_y - rng.uniform(0.0, 0.12))
        region[masks['head'] & (top_of_head | back)] = HAIR
    region[surface.eyes] = EYES

    colors = np.zeros((len(REGIONS), 2, 3), dtype=np.float32)
    skin = jitter(rng, SKIN_TONES[rng.integers(len(SKIN_TONES))], 0.06)
    colors[SKIN] = skin, skin * 0.92
    hair = jitter(rng, HAIR_COLORS[rng.integers(len(HAIR_COLORS))], 0.1)
    colors[HAIR] = hair, hair * 0.75
    colors[TOP] = garment_color(rng), garment_color(rng)
    bottom = (
        BOTTOM_COLORS[rng.integers(len(BOTTOM_COLORS))]
        if rng.random() < 0.7 else garment_color(rng))
    colors[BOTTOM] = jitter(rng, bottom, 0.1), jitter(rng, bottom * 0.8, 0.1)
    shoes = np.full(3, rng.choice([0.08, 0.2, 0.45, 0.9]), np.float32)
    colors[SHOES] = jitter(rng, shoes, 0.15), shoes * 0.7
    colors[EYES] = np.array([0.12, 0.09, 0.08]), np.array([0.3, 0.2, 0.15])
    return Appearance(region, colors, *sample_patterns(rng))


def fabric_noise(appearance: Appearance, points: np.ndarray) -> np.ndarray:
    """Smooth 3D noise in ``[-1, 1]`` (a sum of random plane waves) at
    rest-pose points ``(N, 3)``; blotches of 5-20 cm, so evaluating it at
    the vertices and interpolating loses nothing."""
    # float32: sin is several times faster, and ample for a texture.
    waves = appearance.noise_waves.astype(np.float32)
    points = np.asarray(points, dtype=np.float32)
    # Written out rather than `points @ waves.T`: tiny BLAS calls are slow
    # and thread-hungry in many worker processes.
    phase = (
        points[:, 0:1] * waves[:, 0] + points[:, 1:2] * waves[:, 1] +
        points[:, 2:3] * waves[:, 2] + waves[:, 3])
    return np.sin(phase).mean(1)


def albedo(appearance: Appearance,
           region: np.ndarray,
           rest_points: np.ndarray,
           noise: np.ndarray,
           chart: Optional[np.ndarray] = None) -> np.ndarray:
    """RGB albedo ``(N, 3)`` of surface points.

    Args:
        appearance: the person's look.
        region: ``(N,)`` region of each point.
        rest_points: ``(N, 3)`` rest-pose position of each point, metres.
        noise: ``(N,)`` :func:`fabric_noise` at the points.
        chart: ``(N,)`` DensePose chart of each point (needed by decals).
    """
    colors = appearance.colors
    out = colors[region, 0]
    for r, pattern in enumerate(appearance.patterns):
        if pattern == 'solid':
            continue
        sel = np.flatnonzero(region == r)
        if len(sel) == 0:
            continue
        period = appearance.pattern_scale[r]
        if pattern == 'stripes':
            t = np.floor(rest_points[sel, 1] * (2 / period)) % 2
        elif pattern == 'checks':
            t = np.floor(rest_points[sel] * (1 / period)).sum(1) % 2
        else:  # mottled: blend the two colours with the noise.
            t = 0.5 + 0.5 * noise[sel]
        t = t[:, None].astype(np.float32)
        out[sel] = colors[r, 0] * (1 - t) + colors[r, 1] * t
    if appearance.decals:
        paint_decals(appearance.decals, out, chart, rest_points, noise)
    # Fine fabric/skin grain.
    out *= (1.0 + 0.06 * noise)[:, None].astype(np.float32)
    return out
