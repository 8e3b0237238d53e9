"""Fixtures shared by every test area.

``synthetic_root``: a tiny but complete copy of the embedded synthetic data
(all four splits, the tree of ``docs/data_contract.md``), generated once per
test session into a temporary folder by the same ``ensure_synthetic_data``
that ``tools/train.py`` calls. It takes a few seconds on one core.
"""
import pytest
import torch

import hpse_bench  # noqa: F401  (applies the compatibility patches first)

#: Images per split and subset of the ``synthetic_root`` fixture.
TINY_NUM_IMAGES = dict(
    coco=dict(train=8, val=8),
    h36m=dict(train=8, test=8),
    pw3d=dict(test=8),
    mupots=dict(test=8))
TINY_SEED = 0


@pytest.fixture(scope='session')
def synthetic_root(tmp_path_factory) -> str:
    """Path of a tiny complete synthetic dataset: coco (train, val), h36m
    (train, test), pw3d (test) and mupots (test), 8 images each, seed 0,
    256x256 images (mupots 320x320), larger than the default data's, so
    that geometry and label tests see people of a real dataset's size."""
    from hpse_bench.synthetic import ensure_synthetic_data
    root = tmp_path_factory.mktemp('synthetic_data') / 'synthetic'
    threads = torch.get_num_threads()
    try:
        return ensure_synthetic_data(
            str(root),
            num_images=TINY_NUM_IMAGES,
            seed=TINY_SEED,
            image_size=256,
            multi_person_image_size=320)
    finally:
        torch.set_num_threads(threads)
