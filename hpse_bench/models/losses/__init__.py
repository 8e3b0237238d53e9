from .supervised_contrastive_loss import (  # noqa: F401
    SupervisedContrastiveLoss)
from .keypoint_losses import Keypoint2DLoss, Keypoint3DLoss  # noqa: F401
from .smpl_losses import (BetasPriorLoss, CameraScaleLoss,  # noqa: F401
                          SMPLBetasLoss, SMPLPoseLoss, VertexLoss)
from .part_segmentation_loss import PartSegmentationLoss  # noqa: F401
from .densepose_loss import DensePoseLoss  # noqa: F401
