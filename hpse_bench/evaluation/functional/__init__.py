from .keypoint_error import (align_by_pelvis, joint_errors, mpjpe, pa_mpjpe,
                             pelvis, pve, reduce_joint_errors)
from .mupots import (MUPOTS_MATCH_THRESHOLD_PX, MUPOTS_MATCHING_JOINTS,
                     match_mupots_poses, mupots_3dpck, mupots_image_errors,
                     mupots_rescale_to_gt, mupots_scored_mask,
                     rescale_bone_lengths)
from .pck import AUC_THRESHOLDS_MM, PCK_THRESHOLD_MM, auc_3d, pck_3d, pck_curve
from .procrustes_mean import procrustes_mean
from .similarity_transform import similarity_transform

__all__ = [
    'similarity_transform', 'procrustes_mean', 'joint_errors', 'reduce_joint_errors', 'mpjpe',
    'pa_mpjpe', 'pve', 'pelvis', 'align_by_pelvis', 'pck_3d', 'pck_curve',
    'auc_3d', 'PCK_THRESHOLD_MM', 'AUC_THRESHOLDS_MM', 'match_mupots_poses',
    'rescale_bone_lengths', 'mupots_rescale_to_gt', 'mupots_image_errors',
    'mupots_3dpck', 'mupots_scored_mask', 'MUPOTS_MATCH_THRESHOLD_PX',
    'MUPOTS_MATCHING_JOINTS'
]
