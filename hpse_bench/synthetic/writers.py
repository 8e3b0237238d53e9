"""Writers of the synthetic labels in the formats real datasets use.

- COCO person keypoints JSON (``person_keypoints_*.json``), readable by
  pycocotools/xtcocotools and mmpose's ``CocoDataset``, with the
  COCO-DensePose fields on every annotation (Gueler et al., CVPR 2018):
  ``dp_x``/``dp_y`` in ``[0, 256)`` box coordinates (the image point is
  ``x0 + dp_x * w / 256``, detectron2's reading), ``dp_I`` chart 1..24,
  ``dp_U``/``dp_V`` in ``[0, 1]``, and ``dp_masks``: 14 coarse-part RLEs of
  size 256x256 in the box frame, ``[]`` for an absent part.

HumanData files are written by :mod:`hpse_bench.datasets.human_data`, next
to their reader.
"""
import json
from typing import Any, Dict, List

from hpse_bench.structures.conventions import COCO_17, COCO_SKELETON
from hpse_bench.utils.fileio import atomic_write


def coco_categories() -> List[Dict[str, Any]]:
    """COCO's single 'person' category with keypoint names and skeleton
    (1-based, as in the COCO files)."""
    return [{
        'supercategory': 'person',
        'id': 1,
        'name': 'person',
        'keypoints': list(COCO_17),
        'skeleton': [[a + 1, b + 1] for a, b in COCO_SKELETON],
    }]


def write_coco_json(path: str, images: List[Dict[str, Any]],
                    annotations: List[Dict[str, Any]],
                    description: str) -> None:
    """Write a COCO keypoints file (``info``, ``licenses``, ``images``,
    ``annotations``, ``categories``)."""
    content = {
        'info': {
            'description': description,
            'version': '1.0',
            'year': 2024,
            'contributor': 'hpse_bench synthetic generator',
            'date_created': '2024-01-01',
        },
        'licenses': [],
        'images': images,
        'annotations': annotations,
        'categories': coco_categories(),
    }
    with atomic_write(path) as f:
        json.dump(content, f, separators=(',', ':'))
