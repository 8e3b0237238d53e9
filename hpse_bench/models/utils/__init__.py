from .pretrained_init import PretrainedInit  # noqa: F401
from .joint_sampling import image_to_feature_coords  # noqa: F401
from .joint_sampling import sample_joint_features  # noqa: F401
from .rotation import (axis_angle_to_matrix, matrix_to_axis_angle,  # noqa
                       matrix_to_rot6d, rot6d_to_matrix)
