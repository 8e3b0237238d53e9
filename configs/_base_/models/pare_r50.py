# PARE (Kocabas et al., ICCV 2021) with a ResNet-50 backbone: two upsampling
# branches, part attention from 24-part + background segmentation logits,
# per-joint rotation regression; SPIN's losses plus the part-segmentation
# cross-entropy (sample field gt_part_segmentation, optional).

# See hmr_r50.py for these two keys.
pretrained_backbone = None
smpl_root = 'embedded'

model = dict(
    type='PARE',
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
    head=dict(
        type='PAREHead',
        in_channels=2048,
        deconv_channels=(256, 256, 256),
        deconv_kernels=(4, 4, 4),
        shape_feat_channels=64),
    focal_length=5000.0,
    # PARE's weights (as SPIN's) times its global factor 60.
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
    loss_part_segmentation=dict(type='PartSegmentationLoss', loss_weight=60.0))
