"""The synthetic splits: their subsets and how their images look.

Each split imitates one real dataset (``docs/data_contract.md``): ``coco``
varied cluttered scenes, ``h36m`` a capture studio, ``pw3d`` people in the
wild, ``mupots`` several people on one ground plane.

Facing (``SplitStyle.facing``: within 45 degrees of the camera / profile /
beyond 135 degrees): most people face the camera in photographs and in
3DPW's hand-held videos (0.6 / 0.25 / 0.15); Human3.6M's four cameras stand
around the actors, so more are seen from the side or back (0.45 / 0.35 /
0.2); MuPoTS-3D's performers mostly face the one camera (0.7 / 0.2 / 0.1).
``facing='uniform'`` (a generator option) restores any heading, uniformly.
"""
from typing import Dict, Tuple

from .scene import SplitStyle

#: Subsets of every split (``docs/data_contract.md``).
SPLIT_SUBSETS: Dict[str, Tuple[str, ...]] = {
    'coco': ('train', 'val'),
    'h36m': ('train', 'test'),
    'pw3d': ('test', ),
    'mupots': ('test', ),
}

#: The look of every split.
SPLIT_STYLES: Dict[str, SplitStyle] = {
    # Varied scenes, clutter, occluders, truncation, sometimes two people.
    'coco':
    SplitStyle(
        image_size=(256, 256),
        background='clutter',
        num_people=((1, 2), (0.85, 0.15)),
        occluder_prob=0.3,
        truncation_prob=0.2),
    # A capture studio: one person, fully visible, bright even light.
    'h36m':
    SplitStyle(
        image_size=(256, 256),
        background='studio',
        occluder_prob=0.0,
        truncation_prob=0.0,
        height_fraction=(0.6, 0.85),
        focal_range=(1.3, 2.2),
        pitch_range=(0.0, 15.0),
        activities=dict(
            standing=0.3,
            walking=0.3,
            crouching=0.15,
            gesturing=0.2,
            free=0.05),
        lighting='studio',
        facing=(0.45, 0.35, 0.2),
        densepose=False),
    # In the wild: city backgrounds, some occlusion.
    'pw3d':
    SplitStyle(
        image_size=(256, 256),
        background='outdoor',
        num_people=((1, 2), (0.8, 0.2)),
        occluder_prob=0.2,
        truncation_prob=0.1,
        activities=dict(
            standing=0.3,
            walking=0.45,
            crouching=0.05,
            gesturing=0.15,
            free=0.05),
        densepose=False),
    # Several people standing on one ground plane, occluding each other.
    'mupots':
    SplitStyle(
        image_size=(320, 320),
        background='outdoor',
        num_people=((2, 3, 4), (0.4, 0.35, 0.25)),
        occluder_prob=0.15,
        truncation_prob=0.0,
        depth_range=(3.0, 6.5),
        focal_range=(1.0, 1.6),
        pitch_range=(-5.0, 12.0),
        facing=(0.7, 0.2, 0.1),
        densepose=False),
}
