"""Fixtures of the probe and baseline tests."""
import pytest
import torch
from probing_samples import HMR_CONFIG, fixture_options


@pytest.fixture(scope='module')
def hmr_cfg(synthetic_root):
    """HMR_CONFIG read as the entry points read it, on the tiny data."""
    from hpse_bench.apis.probe import prepared_config
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield prepared_config(HMR_CONFIG, fixture_options(synthetic_root))
    finally:
        torch.set_num_threads(threads)
