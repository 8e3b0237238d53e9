"""Fixtures: one embedded SMPL-format model built into a private cache."""
import os
import pickle

import pytest
import torch

import hpse_bench  # noqa: F401  (applies the compatibility patches)
from hpse_bench.body_models import get_smpl_root

torch.set_num_threads(1)


@pytest.fixture(scope='session')
def embedded_root(tmp_path_factory) -> str:
    """``get_smpl_root('embedded')`` under a session-private cache."""
    cache = tmp_path_factory.mktemp('hpse_cache')
    old = os.environ.get('HPSE_BENCH_CACHE')
    os.environ['HPSE_BENCH_CACHE'] = str(cache)
    try:
        root = get_smpl_root('embedded')
        yield root
    finally:
        if old is None:
            os.environ.pop('HPSE_BENCH_CACHE', None)
        else:
            os.environ['HPSE_BENCH_CACHE'] = old


@pytest.fixture(scope='session')
def smpl_data(embedded_root) -> dict:
    """The embedded ``SMPL_NEUTRAL.pkl`` as read from disk."""
    with open(os.path.join(embedded_root, 'smpl', 'SMPL_NEUTRAL.pkl'),
              'rb') as f:
        return pickle.load(f, encoding='latin1')
