# mocov2_r50_4xb64-140e_coco.py on the embedded synthetic COCO split
# (tools/train.py writes it under synthetic_data.root when missing): ResNet-18
# with BatchNorm (CPU), 128x96 person crops, 64x64 views, batch 8, a queue of
# 64 keys, 2 epochs. The key encoder follows the query encoder with
# m = 0.99 (MMEngine's EMA momentum 0.01) instead of 0.999: with a few
# hundred iterations, 0.999 leaves the keys near their random start and the
# InfoNCE loss at chance, ln(queue_len + 1) (MoCo's paper reports 0.99 within
# 0.1 % of 0.999). The learning rate is mmpretrain's 0.03 per 256 images
# scaled linearly to the batch of 8; at 0.03 the loss rises.
_base_ = ['./mocov2_r50_4xb64-140e_coco.py']

synthetic_data = dict(root='data/synthetic')

model = dict(
    queue_len=64,
    momentum=0.01,
    backbone=dict(depth=18, norm_cfg=dict(type='BN')),
    neck=dict(in_channels=512, hid_channels=512, out_channels=128))

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
optim_wrapper = dict(optimizer=dict(lr=0.03 * 8 / 256))
train_cfg = dict(max_epochs=2)
default_hooks = dict(
    logger=dict(interval=1), checkpoint=dict(interval=1, max_keep_ckpts=1))
