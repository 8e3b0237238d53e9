# HMR (Kanazawa et al., CVPR 2018) trained as SPIN (Kolotouros et al., ICCV
# 2019): ResNet-50 -> global pooling -> 3 iterations of error feedback from
# the mean SMPL parameters (6D rotations), weak-perspective camera, SPIN's
# losses. Set model.use_smplify=True for SPIN's in-the-loop fitting.

# An exported backbone ({'state_dict': ResNet keys}, tools/export_backbone.py)
# or None for a random initialisation. MMEngine resolves it when this file is
# read, so a config that inherits this one sets the backbone itself:
#   model = dict(backbone=dict(init_cfg=dict(
#       _delete_=True, type='Pretrained', checkpoint='backbone.pth')))
pretrained_backbone = None
# 'embedded' or a folder laid out like mmhuman3d's data/body_models.
smpl_root = 'embedded'

model = dict(
    type='HMR',
    smpl_root=smpl_root,
    data_preprocessor=dict(
        type='ImgDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='mmpretrain.ResNet',
        depth=50,
        out_indices=(3, ),
        init_cfg=None if pretrained_backbone is None else dict(
            type='Pretrained', checkpoint=pretrained_backbone)),
    head=dict(type='HMRHead', in_channels=2048, num_iters=3),
    focal_length=5000.0,
    # SPIN's weights (keypoints 5, pose 1, betas 0.001, camera 1) times its
    # global factor 60.
    loss_keypoints2d=dict(
        type='Keypoint2DLoss', criterion='mse', loss_weight=300.0),
    loss_keypoints3d=dict(
        type='Keypoint3DLoss',
        criterion='mse',
        root_indices=0,
        loss_weight=300.0),
    loss_smpl_pose=dict(type='SMPLPoseLoss', loss_weight=60.0),
    loss_smpl_betas=dict(type='SMPLBetasLoss', loss_weight=0.06),
    loss_vertices=None,
    loss_betas_prior=dict(type='BetasPriorLoss', loss_weight=0.06),
    loss_camera=dict(type='CameraScaleLoss', loss_weight=60.0),
    use_smplify=False,
    smplify=dict(type='SMPLify', num_iters_camera=10, num_iters_body=20),
    smplify_threshold=100.0)
