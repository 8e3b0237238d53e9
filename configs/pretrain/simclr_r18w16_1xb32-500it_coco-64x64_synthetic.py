# SimCLR (mmpretrain) pre-training of the default study
# (configs/study/demo_synthetic.py) on the embedded synthetic COCO split:
# a quarter-width ResNet-18 (base and stem width 16) with BatchNorm, 64x64
# person crops and views, batch 32 (64 views), 500 iterations, one thread.
# mmpretrain's LARS lr 0.3 for a batch of 256 is scaled linearly to 0.0375,
# after a 50-iteration warm-up.
_base_ = ['./simclr_r18_1xb8-2e_coco_synthetic.py']
WIDTH = 16
max_iters = 500

model = dict(
    backbone=dict(base_channels=WIDTH, stem_channels=WIDTH),
    neck=dict(in_channels=8 * WIDTH, hid_channels=8 * WIDTH, out_channels=64))

view_pipeline = [
    dict(type='RandomResizedCrop', scale=64, backend='pillow'),
    *_base_.view_pipeline[1:],
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='hpse_bench.PersonCrop', input_size=(64, 64), padding=1.25),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(optimizer=dict(lr=0.3 * 32 / 256))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01, by_epoch=False)
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
log_processor = dict(by_epoch=False)
default_hooks = dict(
    logger=dict(interval=50, log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
