# DetCon_S (Henaff et al., ICCV 2021) on COCO train2017 person crops:
# Felzenszwalb-Huttenlocher segments of each crop, warped with the two views,
# mask-pooled ResNet-50 features, SimCLR-style contrast at temperature 0.1
# with negatives across images and GPUs. 4 GPUs x 64 crops, 140 epochs.
# Needs data/coco/; the *_synthetic config runs on the embedded data.
_base_ = [
    '../_base_/datasets/coco_person_crops.py',
    '../_base_/schedules/pretrain_140e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='DetCon',
    min_area=0.25,
    backbone=dict(
        type='mmpretrain.ResNet',
        depth=50,
        norm_cfg=dict(type='SyncBN'),
        zero_init_residual=True),
    # SimCLR-style projection (Linear-BN-ReLU-Linear) of each mask feature.
    neck=dict(
        type='ProjectionMLP',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        norm_cfg=dict(type='SyncBN')),
    head=dict(
        type='SupConHead',
        loss=dict(type='SupervisedContrastiveLoss'),
        temperature=0.1))

# Segments are computed once on the un-augmented crop and warped with each
# view by KeypointMultiView.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PersonCrop', input_size=_base_.input_size, padding=1.25),
    dict(type='FelzenszwalbSegments', max_side=64, max_segments=16),
    _base_.multi_view,
    dict(type='PackMultiViewInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
