# byol_r50_4xb64-140e_coco.py on the embedded synthetic COCO split
# (tools/train.py writes it under synthetic_data.root when missing): ResNet-18
# with BatchNorm (CPU), 512-d hidden layers and 128-d projections (the
# parent's 4096 and 256 for a ResNet-50), 128x96 person crops, 64x64 views,
# batch 8, 2 epochs.
_base_ = ['./byol_r50_4xb64-140e_coco.py']

synthetic_data = dict(root='data/synthetic')

model = dict(
    backbone=dict(depth=18, norm_cfg=dict(type='BN')),
    neck=dict(
        in_channels=512,
        hid_channels=512,
        out_channels=128,
        norm_cfg=dict(type='BN1d')),
    head=dict(
        predictor=dict(
            in_channels=128,
            hid_channels=512,
            out_channels=128,
            norm_cfg=dict(type='BN1d'))))

view_pipeline1 = [
    dict(
        type='RandomResizedCrop',
        scale=64,
        interpolation='bicubic',
        backend='pillow'),
    *_base_.view_pipeline1[1:],
]
view_pipeline2 = [
    dict(
        type='RandomResizedCrop',
        scale=64,
        interpolation='bicubic',
        backend='pillow'),
    *_base_.view_pipeline2[1:],
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='hpse_bench.PersonCrop', input_size=(96, 128), padding=1.25),
    dict(
        type='MultiView',
        num_views=[1, 1],
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
