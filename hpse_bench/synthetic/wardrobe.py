"""The default look (``appearance='v2'``): people whose facing shows.

At 64 px a person is ~60 px tall and the head ~8 px, so the cues that tell
front from back and left from right must be large and contrasted:

- **head**: everyone has hair (a quarter also a cap), at least 0.12 apart
  from the skin in luma. The hairline runs from the top of the forehead
  down to the nape, so the back and top of the head are hair and the front
  is a skin-coloured face with dark eyes, brows and a mouth;
- **top**: the front carries a design in a colour that contrasts with the
  garment in brightness (a central panel, an open jacket's inner shirt, a
  chest band or a print, sometimes off-centre), a third also a V-neck; the
  back carries a different one at the upper back (a hood, a yoke or a
  collar, in a contrasting colour or in the top's fabric in shadow);
- **left/right**: 80 % carry a strap across the torso from one shoulder to
  the other hip (front and back), most with a bag at that hip; 60 % wear a
  watch on one wrist. Straps run over the left shoulder for 3 in 4
  wearers and watches sit on the left wrist for 4 in 5, so the side itself
  carries some left/right information; image flipping makes it even.

Garment extents, colours of the base regions and fabric patterns are drawn
as in ``textures`` (``appearance='v1'``).
"""
from typing import List

import numpy as np

from hpse_bench.structures.conventions import SMPL_FACE_VERTEX_IDS
from .decals import Decal
from .textures import (BOTTOM, BOTTOM_COLORS, EYES, HAIR, HAIR_COLORS, REGIONS,
                       SHOES, SKIN, SKIN_TONES, TOP, Appearance, BodySurface,
                       garment_color, garment_regions, jitter, sample_patterns)

#: Hair colours (``textures.HAIR_COLORS``: black, dark brown, brown, light
#: brown, blond, grey) drawn with these probabilities, dark most often.
HAIR_PROBS = (0.35, 0.25, 0.15, 0.08, 0.07, 0.1)
#: Least difference in luma between the hair and the skin.
MIN_HAIR_CONTRAST = 0.12
CAP_PROB = 0.25
LONG_HAIR_PROB = 0.35
#: Front designs of the top and their probabilities.
FRONT_DESIGNS = (('panel', 0.3), ('jacket', 0.25), ('band', 0.2), ('print',
                                                                   0.25))
VNECK_PROB = 0.3
#: Back designs of the top and their probabilities.
BACK_DESIGNS = (('hood', 0.45), ('yoke', 0.35), ('collar', 0.2))
STRAP_PROB, STRAP_LEFT_PROB, BAG_PROB = 0.8, 0.75, 0.7
WATCH_PROB, WATCH_LEFT_PROB = 0.6, 0.8

#: Rec. 601 luma weights of R, G, B.
LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def luminance(color: np.ndarray) -> float:
    """Rec. 601 luma of an RGB colour in ``[0, 1]``."""
    return float(np.dot(color, LUMA))


def contrast_color(rng: np.random.Generator, base: np.ndarray) -> np.ndarray:
    """A colour of any hue that is dark on a light ``base`` and light on a
    dark one, so that a design stands out at low resolution."""
    h, s = rng.random(), rng.uniform(0.0, 0.7)
    v = (
        rng.uniform(0.06, 0.3) if luminance(base) > 0.42 else rng.uniform(
            0.75, 0.98))
    k = (np.array([5, 3, 1]) + h * 6) % 6
    return (v - v * s * np.clip(np.minimum(k, 4 - k), 0, 1)).astype(np.float32)


def _colors(rng: np.random.Generator) -> np.ndarray:
    """``(6, 2, 3)`` base colours per region (``Appearance.colors``)."""
    colors = np.zeros((len(REGIONS), 2, 3), dtype=np.float32)
    skin = jitter(rng, SKIN_TONES[rng.integers(len(SKIN_TONES))], 0.06)
    colors[SKIN] = skin, skin * 0.92
    # Hair of the same brightness as the skin (blond on fair skin) would
    # hide the face from the back of the head: such pairs are not drawn.
    probs = np.asarray(HAIR_PROBS) * (
        np.abs(HAIR_COLORS @ LUMA - skin @ LUMA) >= MIN_HAIR_CONTRAST)
    hair = jitter(
        rng, HAIR_COLORS[rng.choice(len(HAIR_COLORS), p=probs / probs.sum())],
        0.1)
    colors[HAIR] = hair, hair * 0.7
    colors[TOP] = garment_color(rng), garment_color(rng)
    bottom = (
        BOTTOM_COLORS[rng.integers(len(BOTTOM_COLORS))]
        if rng.random() < 0.7 else garment_color(rng))
    colors[BOTTOM] = jitter(rng, bottom, 0.1), jitter(rng, bottom * 0.8, 0.1)
    shoes = np.full(3, rng.choice([0.08, 0.2, 0.45, 0.9]), np.float32)
    colors[SHOES] = jitter(rng, shoes, 0.15), shoes * 0.7
    colors[EYES] = np.array([0.1, 0.07, 0.06]), np.array([0.2, 0.14, 0.1])
    return colors


def _head_decals(rng: np.random.Generator, surface: BodySurface,
                 colors: np.ndarray) -> List[Decal]:
    """Hair, face and sometimes a cap."""
    ears = surface.rest_vertices[[
        SMPL_FACE_VERTEX_IDS['left_ear'], SMPL_FACE_VERTEX_IDS['right_ear']
    ]]
    eye = surface.rest_vertices[SMPL_FACE_VERTEX_IDS['left_eye']]
    eye_y = float(surface.eye_y)
    centre = dict(cx=0.0, cz=float(ears[:, 2].mean()))
    hair, skin = colors[HAIR, 0], colors[SKIN, 0]
    long_hair = rng.random() < LONG_HAIR_PROB
    a0 = rng.uniform(0.55, 0.7) if long_hair else rng.uniform(0.7, 0.95)
    decals = [
        Decal(
            'hair',
            hair,
            dict(
                centre,
                front_y=eye_y + rng.uniform(0.035, 0.055),
                back_y=(rng.uniform(0.22, 0.28) if long_hair else rng.uniform(
                    0.33, 0.37)),
                a0=a0,
                a1=a0 + rng.uniform(0.7, 1.0)),
            shade=colors[HAIR, 1]),
        # Eyes and brows (mirrored pairs), then the mouth.
        Decal(
            'face',
            colors[EYES, 0],
            dict(
                x=abs(eye[0]),
                y=eye_y,
                rx=rng.uniform(0.012, 0.016),
                ry=0.008,
                z_min=0.09,
                mirror=True),
            shade=colors[EYES, 1]),
        Decal(
            'face', hair * 0.8,
            dict(
                x=abs(eye[0]) + 0.002,
                y=eye_y + rng.uniform(0.017, 0.022),
                rx=0.018,
                ry=0.0045,
                z_min=0.08,
                mirror=True)),
        Decal(
            'face', skin * np.array([0.72, 0.45, 0.45], np.float32),
            dict(
                x=0.0,
                y=rng.uniform(0.367, 0.375),
                rx=0.02,
                ry=0.005,
                z_min=0.1)),
    ]
    if rng.random() < CAP_PROB:
        cap = garment_color(rng)
        params = dict(centre, y=eye_y + rng.uniform(0.028, 0.04))
        decals.append(Decal('cap', cap, params, shade=cap * 0.85))
        decals.append(
            Decal('brim', cap * 0.6,
                  dict(params, height=0.016, half_angle=rng.uniform(0.8,
                                                                    1.1))))
    return decals


def _top_decals(rng: np.random.Generator, colors: np.ndarray,
                waist_y: float) -> List[Decal]:
    """The top's front design, perhaps a V-neck, and its back design."""
    top = colors[TOP, 0]
    low = waist_y + 0.02
    names, probs = zip(*FRONT_DESIGNS)
    front = names[rng.choice(len(names), p=probs)]
    color = contrast_color(rng, top)
    if front == 'panel':
        params = dict(
            shape='box', x=0.0, hx=rng.uniform(0.05, 0.09), y0=low, y1=0.4)
    elif front == 'jacket':  # an open jacket over a contrasting shirt
        params = dict(
            shape='box', x=0.0, hx=rng.uniform(0.03, 0.055), y0=low, y1=0.4)
    elif front == 'band':
        mid, half = rng.uniform(0.0, 0.15), rng.uniform(0.03, 0.05)
        params = dict(shape='box', x=0.0, hx=0.4, y0=mid - half, y1=mid + half)
    else:  # a print, centred or on one side of the chest
        side = rng.choice([-1.0, 0.0, 1.0])
        r = rng.uniform(0.045, 0.075)
        params = dict(
            shape='ellipse',
            x=side * rng.uniform(0.05, 0.07),
            y=rng.uniform(0.02, 0.12),
            rx=r,
            ry=r,
            z_min=-1.0)
    decals = [Decal('front', color, params, shade=color * 0.9)]
    if rng.random() < VNECK_PROB:
        decals.append(
            Decal(
                'front',
                colors[SKIN, 0],
                dict(
                    shape='vee',
                    y0=rng.uniform(0.13, 0.18),
                    slope=rng.uniform(0.5, 0.8)),
                shade=colors[SKIN, 1]))
    names, probs = zip(*BACK_DESIGNS)
    back = names[rng.choice(len(names), p=probs)]
    color = contrast_color(rng, top)
    if back != 'yoke' and rng.random() < 0.5:
        # A hood or collar of the top's own fabric, its folds in shadow.
        color = np.clip(top * rng.uniform(0.35, 0.55), 0, 1)
    if back == 'hood':
        params = dict(
            shape='box',
            x=0.0,
            hx=rng.uniform(0.1, 0.14),
            y0=rng.uniform(0.1, 0.17),
            y1=0.4)
    elif back == 'yoke':
        params = dict(
            shape='box', x=0.0, hx=0.4, y0=rng.uniform(0.14, 0.2), y1=0.4)
    else:
        params = dict(
            shape='box', x=0.0, hx=0.4, y0=rng.uniform(0.2, 0.24), y1=0.4)
    decals.append(Decal('back', color, params, shade=color * 0.85))
    return decals


def _accessory_decals(rng: np.random.Generator, surface: BodySurface,
                      colors: np.ndarray) -> List[Decal]:
    """A strap (and bag) across the torso and a watch, each on one side."""
    decals = []
    if rng.random() < STRAP_PROB:
        side = 1.0 if rng.random() < STRAP_LEFT_PROB else -1.0
        color = contrast_color(rng, colors[TOP, 0])
        low_y = rng.uniform(-0.28, -0.22)
        decals.append(
            Decal(
                'strap',
                color,
                dict(
                    x0=side * rng.uniform(0.07, 0.1),
                    y0=0.33,
                    x1=-side * rng.uniform(0.13, 0.16),
                    y1=low_y,
                    w=rng.uniform(0.018, 0.028)),
                shade=color * 0.8))
        if rng.random() < BAG_PROB:
            bag = np.clip(color * rng.uniform(0.8, 1.1), 0, 1)
            y0 = low_y - rng.uniform(0.1, 0.14)
            decals.append(
                Decal(
                    'bag',
                    bag,
                    dict(
                        x=-side * rng.uniform(0.14, 0.17),
                        hx=rng.uniform(0.05, 0.07),
                        y0=y0,
                        y1=low_y + 0.02),
                    shade=bag * 0.8))
    if rng.random() < WATCH_PROB:
        side = 1.0 if rng.random() < WATCH_LEFT_PROB else -1.0
        wrist_x = abs(surface.joint('left_wrist')[0])
        color = np.full(3, rng.choice([0.08, 0.75]), np.float32)
        decals.append(
            Decal(
                'watch_left' if side > 0 else 'watch_right', color,
                dict(
                    x=side * (wrist_x - rng.uniform(0.02, 0.04)),
                    hx=0.014,
                    y0=-np.inf,
                    y1=np.inf)))
    return decals


def sample_wardrobe(rng: np.random.Generator,
                    surface: BodySurface) -> Appearance:
    """Draw one person's look (``appearance='v2'``, the module docstring
    lists what it shows)."""
    region, waist_y = garment_regions(rng, surface)
    colors = _colors(rng)
    patterns, scale, waves = sample_patterns(rng)
    decals = (
        _head_decals(rng, surface, colors) +
        _top_decals(rng, colors, waist_y) +
        _accessory_decals(rng, surface, colors))
    return Appearance(region, colors, patterns, scale, waves, decals)
