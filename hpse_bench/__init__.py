"""hpse_bench: backbone pre-training benchmark for 3D human pose and shape."""
# The compatibility patches must precede any OpenMMLab model import.
from .utils import compat as _compat

_compat.apply()

from .utils.setup_env import register_all_modules  # noqa: E402
from .version import __version__  # noqa: E402

__all__ = ['__version__', 'register_all_modules']
