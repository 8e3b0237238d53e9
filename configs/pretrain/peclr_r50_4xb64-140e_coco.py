# PeCLR (Spurr et al., ICCV 2021) on COCO train2017 person crops, as compared
# in Choi et al., ICLR 2023, Table 3: SimCLR whose 128-d projection is read as
# 64 2D points made equivariant to each view's rotation and translation.
# 4 GPUs x 64 crops (two views each), 140 epochs. Needs data/coco/; the
# *_synthetic config runs on the embedded data.
_base_ = [
    '../_base_/datasets/coco_person_crops.py',
    '../_base_/schedules/pretrain_140e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='PeCLR',
    backbone=dict(
        type='mmpretrain.ResNet',
        depth=50,
        norm_cfg=dict(type='SyncBN'),
        zero_init_residual=True),
    # PeCLR's projection 2048-512-128: Linear-BN-ReLU-Linear.
    neck=dict(
        type='mmpretrain.NonLinearNeck',
        in_channels=2048,
        hid_channels=512,
        out_channels=128,
        num_layers=2,
        with_bias=True,
        with_last_bn=False,
        with_avg_pool=True,
        norm_cfg=dict(type='SyncBN')),
    head=dict(
        type='SupConHead',
        loss=dict(type='SupervisedContrastiveLoss'),
        temperature=0.5))

# PeCLR's geometric augmentation: rotation up to 45 degrees, box jitter and
# scale; no flip (a mirror is not a rotation or a translation). Colour
# augmentation as in SimCLR, learned invariantly.
multi_view = dict(
    type='KeypointMultiView',
    num_views=2,
    rotate_range=45,
    scale_range=(0.8, 1.2),
    translate_ratio=0.12,
    flip_prob=0.0,
    view_pipeline=_base_.view_pipeline)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PersonCrop', input_size=_base_.input_size, padding=1.25),
    multi_view,
    dict(type='PackMultiViewInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
