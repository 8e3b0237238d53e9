# Part segmentation on top-down person crops: ResNet-50 + SimpleBaseline's
# deconvolution head predicting the 14 coarse DensePose parts + background,
# per-pixel cross-entropy. Random initial backbone weights, as in
# densepose_r50.py.
model = dict(
    type='TopdownDenseEstimator',
    data_preprocessor=dict(
        type='mmpose.PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='mmpretrain.ResNet',
        depth=50,
        out_indices=(3, ),
        # Random initial weights, ResNet's own initialisation.
        init_cfg=[
            dict(type='Kaiming', layer=['Conv2d']),
            dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
        ]),
    head=dict(
        type='PartSegmentationHead',
        in_channels=2048,
        num_classes=15,
        loss=dict(type='PartSegmentationLoss', loss_weight=1.0)))
