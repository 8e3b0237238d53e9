# swav_r50_4xb64-mcrop-140e_coco.py on the embedded synthetic COCO split
# (tools/train.py writes it under synthetic_data.root when missing): ResNet-18
# with BatchNorm (CPU), 128x96 person crops, 2x64 + 6x32 multi-crop views
# (the parent's 224 and 96 scaled down), batch 8, 2 epochs.
_base_ = ['./swav_r50_4xb64-mcrop-140e_coco.py']

synthetic_data = dict(root='data/synthetic')

model = dict(
    backbone=dict(depth=18, norm_cfg=dict(type='BN')),
    neck=dict(in_channels=512, hid_channels=512, norm_cfg=dict(type='BN1d')))

view_pipeline1 = [
    dict(
        type='RandomResizedCrop',
        scale=64,
        crop_ratio_range=(0.14, 1.),
        backend='pillow'),
    *_base_.view_pipeline1[1:],
]
view_pipeline2 = [
    dict(
        type='RandomResizedCrop',
        scale=32,
        crop_ratio_range=(0.05, 0.14),
        backend='pillow'),
    *_base_.view_pipeline2[1:],
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='hpse_bench.PersonCrop', input_size=(96, 128), padding=1.25),
    dict(
        type='MultiView',
        num_views=_base_.num_crops,
        transforms=[view_pipeline1, view_pipeline2]),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        data_root='data/synthetic/coco/',
        ann_file='annotations/person_keypoints_train.json',
        data_prefix=dict(img='images/train/'),
        pipeline=train_pipeline))
train_cfg = dict(max_epochs=2)
default_hooks = dict(
    logger=dict(interval=1), checkpoint=dict(interval=1, max_keep_ckpts=1))
# The queue is sized by the batch; it starts after the 2 epochs, as in the
# parent after 15 of 140.
custom_hooks = [
    dict(
        type='SwAVHook',
        priority='VERY_HIGH',
        batch_size=8,
        epoch_queue_starts=15,
        crops_for_assign=[0, 1],
        feat_dim=128,
        queue_length=64,
        frozen_layers_cfg=dict(prototypes=5005))
]
