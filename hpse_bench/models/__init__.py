# Each role is a subpackage; importing them fills hpse_bench's MODELS.
from . import body_models  # noqa: F401
from . import heads  # noqa: F401
from . import losses  # noqa: F401
from . import necks  # noqa: F401
from . import pretrain  # noqa: F401
from . import regressors  # noqa: F401
from . import utils  # noqa: F401
