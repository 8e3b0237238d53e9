# JointCon (J) pre-training of the default study
# (configs/study/demo_synthetic.py) on the embedded synthetic COCO split:
# a quarter-width ResNet-18 (base and stem width 16), 64x64 crops (two
# views each), batch 32, 500 iterations at the parent's Adam lr 1e-3 after
# a 50-iteration warm-up, one thread. Joint features are sampled from the
# last feature map, as in the parent.
_base_ = ['./jointcon-j_r18_1xb8-2e_coco_synthetic.py']
WIDTH = 16
max_iters = 500
input_size = (64, 64)

model = dict(
    backbone=dict(base_channels=WIDTH, stem_channels=WIDTH),
    neck=dict(
        in_channels=8 * WIDTH, hid_channels=8 * WIDTH, out_channels=64))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PersonCrop', input_size=input_size, padding=1.25),
    _base_.multi_view,
    dict(type='PackMultiViewInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=train_pipeline))

param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01, by_epoch=False)
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
log_processor = dict(by_epoch=False)
default_hooks = dict(
    logger=dict(interval=50, log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
