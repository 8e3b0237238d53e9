from .joint_sampling import image_to_feature_coords  # noqa: F401
from .joint_sampling import sample_joint_features  # noqa: F401
from .scoped_build import ScopedInitMixin, build_module  # noqa: F401
