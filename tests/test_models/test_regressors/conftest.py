import pytest
import torch

from hpse_bench.utils.setup_env import register_all_modules


@pytest.fixture(scope='session', autouse=True)
def _hpse_bench_scope():
    register_all_modules()


@pytest.fixture(autouse=True)
def _one_thread():
    # Several test runs share two cores.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='session')
def smpl():
    from hpse_bench.body_models import SMPL
    return SMPL('embedded')
