# simsiam_r50_4xb64-140e_coco.py on the embedded synthetic COCO split
# (tools/train.py writes it under synthetic_data.root when missing): ResNet-18
# with BatchNorm (CPU), 512-d projection and 128-d predictor bottleneck (the
# parent's 2048 and 512 for a ResNet-50), 128x96 person crops, 64x64 views,
# batch 8, 2 epochs.
_base_ = ['./simsiam_r50_4xb64-140e_coco.py']

synthetic_data = dict(root='data/synthetic')

model = dict(
    backbone=dict(depth=18, norm_cfg=dict(type='BN')),
    neck=dict(
        in_channels=512,
        hid_channels=512,
        out_channels=512,
        norm_cfg=dict(type='BN1d')),
    head=dict(
        predictor=dict(
            in_channels=512,
            hid_channels=128,
            out_channels=512,
            norm_cfg=dict(type='BN1d'))))

view_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=64,
        crop_ratio_range=(0.2, 1.),
        backend='pillow'),
    *_base_.view_pipeline[1:],
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='hpse_bench.PersonCrop', input_size=(96, 128), padding=1.25),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
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
