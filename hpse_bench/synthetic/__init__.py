"""Embedded synthetic human data: a small SURREAL-like generator.

Posed SMPL bodies (hpse_bench's body model) with procedural clothing over
procedural backgrounds, rendered by a CPU z-buffer rasteriser, with exact
labels in the formats of the real datasets (COCO keypoints + DensePose JSON,
mmhuman3d HumanData). ``ensure_synthetic_data`` creates and verifies the
data tree of ``docs/data_contract.md``.

Modules, in the order an image is made: ``splits`` (what each split looks
like), ``pose_prior`` and ``scene`` (people, headings, camera, occluders
from ``primitives``, light), ``wardrobe`` (the default look, painted as
``decals``) and ``textures`` (base regions, the first format's look),
``backgrounds``, ``rasterizer``, ``shading``, ``labels``, ``generator``
(all of it for one image; ``views`` renders chosen headings); then
``request``, ``layout``, ``build``, ``label_files``/``writers`` and
``cache`` for a whole data root.
"""
from .cache import (DEFAULT_NUM_IMAGES, DEFAULT_OPTIONS, FORMAT_VERSION,
                    SPLITS, available_splits, check_synthetic_data,
                    ensure_synthetic_data, make_generator, resolve_num_images,
                    split_files)
from .generator import GROUP_SIZE, SyntheticHumanGenerator, SyntheticImage
from .labels import PersonLabels
from .pose_prior import PosePrior
from .rasterizer import Fragments, rasterize_meshes
from .splits import SPLIT_STYLES, SPLIT_SUBSETS

__all__ = [
    'ensure_synthetic_data', 'available_splits', 'split_files',
    'check_synthetic_data', 'resolve_num_images', 'make_generator', 'SPLITS',
    'DEFAULT_NUM_IMAGES', 'DEFAULT_OPTIONS', 'FORMAT_VERSION',
    'SyntheticHumanGenerator', 'SyntheticImage', 'PersonLabels',
    'SPLIT_STYLES', 'SPLIT_SUBSETS', 'GROUP_SIZE', 'PosePrior',
    'rasterize_meshes', 'Fragments'
]
