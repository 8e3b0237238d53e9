from .supcon_head import SupConHead  # noqa: F401
from .hmr_head import HMRHead  # noqa: F401
from .integral_head import IntegralPoseHead, soft_argmax_3d  # noqa: F401
from .pare_head import PAREHead  # noqa: F401
from .pymaf_head import PyMAFHead  # noqa: F401
from .part_segmentation_head import PartSegmentationHead  # noqa: F401
from .densepose_head import DensePoseHead  # noqa: F401
