# DensePose estimation on top-down person crops (Gueler et al., CVPR 2018):
# ResNet-50 + SimpleBaseline's deconvolution head predicting coarse parts,
# charts and chart (U, V), trained with detectron2's chart-based losses.
# The backbone starts from random weights ("random init"); to start from
# other weights, a config inheriting this one sets
#   model = dict(backbone=dict(init_cfg=dict(
#       _delete_=True, type='Pretrained', checkpoint='r50.pth')))
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
        type='DensePoseHead',
        in_channels=2048,
        loss=dict(
            type='DensePoseLoss',
            loss_segm=dict(type='PartSegmentationLoss', loss_weight=5.0),
            index_weight=1.0,
            uv_weight=0.01,
            uv_reduction='sum')))
