"""Colours and skeletons for drawing people.

Colours are RGB tuples of ints in ``0..255`` (the channel order of
MMEngine's ``Visualizer``). Skeleton links come from the parent tables in
:mod:`hpse_bench.structures.conventions`, so every drawing follows the same
joint orders as the labels and predictions.
"""
import colorsys
from typing import Dict, List, Sequence, Tuple

from hpse_bench.structures.conventions import (COCO_17, COCO_SKELETON, H36M_17,
                                               H36M_PARENTS, LSP14_PARENTS,
                                               LSP_14, SMPL_24, SMPL_PARENTS)

Color = Tuple[int, int, int]

#: Left limbs, right limbs and the body's midline (mmpose's colour scheme).
LEFT_COLOR: Color = (0, 200, 255)
RIGHT_COLOR: Color = (255, 140, 0)
MIDDLE_COLOR: Color = (60, 220, 60)
#: Ground truth is drawn in one colour so that it reads apart from
#: predictions, whose sides are coloured.
GT_COLOR: Color = (255, 255, 255)
#: Mesh colours of successive people (a light blue first, as in SPIN's
#: renderings).
MESH_COLORS: Tuple[Color,
                   ...] = ((166, 200, 245), (245, 190, 150), (180, 235, 170),
                           (230, 170, 230), (240, 230, 150))
BOX_COLORS: Tuple[Color, ...] = ((60, 220, 60), (255, 80, 80), (80, 160, 255),
                                 (255, 220, 0), (220, 80, 255))
SIDE_VIEW_BACKGROUND: Color = (235, 235, 235)

JOINT_NAMES: Dict[str, List[str]] = {
    'coco_17': COCO_17,
    'h36m_17': H36M_17,
    'lsp_14': LSP_14,
    'smpl_24': SMPL_24,
}


def _links_from_parents(parents: Sequence[int]) -> List[Tuple[int, int]]:
    return [(p, i) for i, p in enumerate(parents) if p >= 0]


SKELETONS: Dict[str, List[Tuple[int, int]]] = {
    'coco_17': list(COCO_SKELETON),
    'h36m_17': _links_from_parents(H36M_PARENTS),
    'lsp_14': _links_from_parents(LSP14_PARENTS),
    'smpl_24': _links_from_parents(SMPL_PARENTS),
}


def keypoint_convention(num_keypoints: int) -> str:
    """The convention of a keypoint array from its length.

    Raises:
        ValueError: no known convention has ``num_keypoints`` joints (17 is
            ambiguous and must be named by the caller).
    """
    matches = [k for k, v in JOINT_NAMES.items() if len(v) == num_keypoints]
    if len(matches) != 1:
        raise ValueError(f'cannot tell the convention of {num_keypoints} '
                         f'keypoints; name one of {sorted(JOINT_NAMES)}')
    return matches[0]


def side_color(name: str) -> Color:
    """Colour of a joint, or of a link ending at that joint, by body side."""
    if name.startswith('left'):
        return LEFT_COLOR
    if name.startswith('right'):
        return RIGHT_COLOR
    return MIDDLE_COLOR


def link_colors(convention: str) -> List[Color]:
    """Colour of each link of ``SKELETONS[convention]`` by body side.

    A link is coloured by its child joint; a link between the two sides
    (COCO's hip-hip and shoulder-shoulder) is midline.
    """
    names = JOINT_NAMES[convention]
    colors = []
    for a, b in SKELETONS[convention]:
        sides = {side_color(names[a]), side_color(names[b])}
        colors.append(sides.pop() if len(sides) == 1 else MIDDLE_COLOR)
    return colors


def distinct_colors(num: int,
                    saturation: float = 0.75,
                    value: float = 0.95) -> List[Color]:
    """``num`` colours of evenly spread hues (the golden-ratio sequence, so
    that neighbouring label ids differ strongly)."""
    colors = []
    for i in range(num):
        hue = (i * 0.618033988749895) % 1.0
        r, g, b = colorsys.hsv_to_rgb(hue, saturation, value)
        colors.append((int(r * 255), int(g * 255), int(b * 255)))
    return colors


def label_palette(num_labels: int) -> List[Color]:
    """Colours of label ids ``0..num_labels``; 0 (background) is black."""
    return [(0, 0, 0)] + distinct_colors(num_labels)
