"""Fixtures of the pre-training tests."""
import pytest
from mmengine.registry import DefaultScope

from pretrain_samples import write_coco_people


@pytest.fixture(scope='session')
def coco_people_root(request, tmp_path_factory) -> str:
    """Root of a COCO split in the ``data/synthetic`` layout.

    The project's embedded synthetic data when its session fixture
    ``synthetic_root`` exists, else a small split written here.
    """
    try:
        return str(request.getfixturevalue('synthetic_root'))
    except pytest.FixtureLookupError:
        return write_coco_people(str(tmp_path_factory.mktemp('coco_people')))


@pytest.fixture
def hpse_bench_scope():
    """Build unprefixed names in hpse_bench's registries, whatever default
    scope an earlier test's Runner left behind."""
    with DefaultScope.overwrite_default_scope('hpse_bench'):
        yield
