"""Fixtures of the inference and demo tests: a real photograph."""
import os.path as osp

import pytest


@pytest.fixture(scope='session')
def photo_path() -> str:
    """A real photograph (Grace Hopper, shipped with matplotlib), 512x600."""
    from matplotlib import cbook
    path = cbook.get_sample_data('grace_hopper.jpg', asfileobj=False)
    assert osp.isfile(path), path
    return str(path)
