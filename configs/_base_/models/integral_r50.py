# Integral human pose regression (Sun et al., ECCV 2018), the scheme of the
# 2D-pre-training study: ResNet-50 -> 3 deconvolutions -> 17 volumes of
# 64 depth bins -> soft-argmax. x, y are crop positions (2D-only samples
# supervise them), z is pelvis-relative depth over depth_range metres.

# See hmr_r50.py; this model uses no body model.
pretrained_backbone = None

model = dict(
    type='IntegralPoseRegressor',
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
        type='IntegralPoseHead',
        in_channels=2048,
        num_joints=17,
        depth_bins=64,
        deconv_channels=(256, 256, 256),
        deconv_kernels=(4, 4, 4)),
    depth_range=2.0,
    unit_scale_prior=1.0,
    loss_weight_2d=1.0,
    loss_weight_depth=1.0,
    loss_weight_3d=1.0)
