from .detcon import DetCon  # noqa: F401
from .jointcon import JointCon  # noqa: F401
from .peclr import PeCLR  # noqa: F401
from .topdown_dense_estimator import TopdownDenseEstimator  # noqa: F401
