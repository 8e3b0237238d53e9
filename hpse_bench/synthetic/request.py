"""What a synthetic-data request is: images per split, options, and the
manifest fields that must match for a cache to be reused.

``num_images`` per split is the size of its first subset; the second subset
is a fixed fraction of it (``SECONDARY_FRACTION``: coco val = train / 5,
h36m test = train / 4), or both are given as ``dict(train=..., val=...)``.
A split left out of a ``num_images`` dict (or given 0) is not generated;
``num_images=None`` means ``DEFAULT_NUM_IMAGES`` (all splits).

``size_options`` (recorded in the manifest): ``image_size`` (single-person
image side, or ``(H, W)``), ``multi_person_image_size``, ``dp_points``
(DensePose points per person), ``jpeg_quality``, ``smpl_root``,
``appearance`` (``'v2'``, or ``'v1'`` for the first format's look) and
``facing`` (``'natural'``, or ``'uniform'`` for the first format's headings).
"""
import hashlib
import json
import os.path as osp
from typing import Any, Dict, Tuple, Union

import numpy as np

from hpse_bench.utils.fileio import file_sha256
from .generator import FACINGS, LOOKS
from .splits import SPLIT_SUBSETS

#: Bump when the generator's output changes, so old caches are rebuilt.
FORMAT_VERSION = 3
SPLITS: Tuple[str, ...] = tuple(SPLIT_SUBSETS)
# Sized for the default study (configs/study/demo_synthetic.py): enough
# 3D training people that a fine-tune of a few thousand iterations sees
# each about ten times, and test sets large enough that seed noise, not
# test-set noise, dominates the spread of a cell. About a minute to make on
# 2 cores.
DEFAULT_NUM_IMAGES: Dict[str, Dict[str, int]] = {
    'coco': dict(train=3000, val=200),
    'h36m': dict(train=10000, test=300),
    'pw3d': dict(test=300),
    'mupots': dict(test=60),
}
#: Size of the second subset relative to the first.
SECONDARY_FRACTION: Dict[str, float] = {'coco': 0.2, 'h36m': 0.25}
# 128-px images: the default study reads 64-px person crops.
DEFAULT_OPTIONS: Dict[str, Any] = dict(
    image_size=128,
    multi_person_image_size=256,
    dp_points=100,
    jpeg_quality=92,
    smpl_root='embedded',
    appearance='v2',
    facing='natural')
#: Splits of several people per image.
MULTI_PERSON_SPLITS = ('mupots', )

NumImages = Union[None, int, Dict[str, Union[int, Dict[str, int]]]]


def resolve_num_images(num_images: NumImages) -> Dict[str, Dict[str, int]]:
    """Images per split and subset, e.g. ``{'coco': {'train': 1000, 'val':
    200}, ...}``; splits with no images are left out.

    Raises:
        KeyError: a split or subset that does not exist (the message names
            the ones that do).
    """
    if num_images is None:
        return {k: dict(v) for k, v in DEFAULT_NUM_IMAGES.items()}
    if isinstance(num_images, (int, np.integer)):
        num_images = {split: int(num_images) for split in SPLITS}
    if not isinstance(num_images, dict):
        raise TypeError('num_images must be None, an int or a dict of '
                        f'splits, got {type(num_images).__name__}')
    unknown = sorted(set(num_images) - set(SPLITS))
    if unknown:
        raise KeyError(f'unknown synthetic split(s) {", ".join(unknown)}; '
                       f'the splits are {", ".join(SPLITS)}')
    out = {}
    for split in SPLITS:
        if split not in num_images:
            continue
        value = num_images[split]
        subsets = SPLIT_SUBSETS[split]
        if isinstance(value, dict):
            bad = sorted(set(value) - set(subsets))
            if bad:
                raise KeyError(f'synthetic split "{split}" has subsets '
                               f'{", ".join(subsets)}, not {", ".join(bad)}')
            sizes = {s: int(value.get(s, 0)) for s in subsets}
        else:
            n = int(value)
            sizes = {subsets[0]: n}
            if len(subsets) > 1:
                sizes[subsets[1]] = (
                    max(1, int(round(n * SECONDARY_FRACTION[split])))
                    if n > 0 else 0)
        if any(v < 0 for v in sizes.values()):
            raise ValueError(f'negative image count for "{split}": {sizes}')
        if sum(sizes.values()) > 0:
            out[split] = sizes
    return out


def resolve_options(size_options: Dict[str, Any]) -> Dict[str, Any]:
    """``DEFAULT_OPTIONS`` updated with ``size_options``, sizes as
    ``[H, W]``.

    Raises:
        TypeError: an unknown option (the message names the known ones).
        ValueError: an unknown ``appearance`` or ``facing``.
    """
    unknown = sorted(set(size_options) - set(DEFAULT_OPTIONS))
    if unknown:
        raise TypeError(f'unknown synthetic data option(s) '
                        f'{", ".join(unknown)}; known: '
                        f'{", ".join(sorted(DEFAULT_OPTIONS))}')
    options = dict(DEFAULT_OPTIONS, **size_options)
    for key in ('image_size', 'multi_person_image_size'):
        size = options[key]
        size = (size, size) if isinstance(size, (int, np.integer)) else size
        options[key] = [int(size[0]), int(size[1])]
    for key, known in (('appearance', LOOKS), ('facing', FACINGS)):
        if options[key] not in known:
            raise ValueError(f'unknown synthetic data {key} '
                             f'{options[key]!r}; known: '
                             f'{", ".join(map(repr, known))}')
    return options


def body_model_digest(smpl_root: str) -> str:
    """SHA-256 over the body model files that shape the data."""
    from hpse_bench.body_models import get_smpl_root, smpl_model_file
    root = get_smpl_root(smpl_root)
    digest = hashlib.sha256()
    for path in (smpl_model_file(root), osp.join(root, 'J_regressor_h36m.npy'),
                 osp.join(root, 'densepose_uv.npz')):
        digest.update(file_sha256(path).encode())
    return digest.hexdigest()


def make_request(num_images: NumImages, seed: int,
                 size_options: Dict[str, Any]) -> Dict[str, Any]:
    options = resolve_options(size_options)
    return {
        'format_version': FORMAT_VERSION,
        'seed': int(seed),
        'num_images': resolve_num_images(num_images),
        'options': options,
        'body_model_sha256': body_model_digest(options['smpl_root']),
    }


#: The manifest fields that make a request.
REQUEST_KEYS = ('format_version', 'seed', 'num_images', 'options',
                'body_model_sha256')


def request_digest(request: Dict[str, Any]) -> str:
    """Eight hex digits of the SHA-256 of a request (its ``REQUEST_KEYS``
    as canonical JSON), the prefix of its image file names."""
    text = json.dumps({k: request[k]
                       for k in REQUEST_KEYS},
                      sort_keys=True,
                      separators=(',', ':'))
    return hashlib.sha256(text.encode()).hexdigest()[:8]
