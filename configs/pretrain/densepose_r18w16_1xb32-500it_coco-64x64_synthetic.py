# DensePose pre-training of the default study
# (configs/study/demo_synthetic.py) on the embedded synthetic COCO split:
# a quarter-width ResNet-18 (base and stem width 16), 64x64 crops, batch 32,
# 500 iterations at the parent's Adam lr 1e-3 after a 50-iteration warm-up,
# one thread. The deconvolution head is narrowed with the backbone (256
# channels for a 2048-channel ResNet-50; 32 here).
_base_ = ['./densepose_r18_1xb8-2e_coco_synthetic.py']
WIDTH = 16
max_iters = 500
input_size = (64, 64)

model = dict(
    backbone=dict(base_channels=WIDTH, stem_channels=WIDTH),
    head=dict(in_channels=8 * WIDTH, deconv_out_channels=(32, 32, 32)))

train_pipeline = [
    dict(type='mmpose.LoadImage'),
    dict(type='mmpose.GetBBoxCenterScale'),
    dict(type='DensePoseRandomFlip', uv_symmetry='embedded'),
    dict(type='DensePoseTopdownAffine', input_size=input_size),
    dict(type='PackDensePoseInputs'),
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
