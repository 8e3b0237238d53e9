# 2D pose pre-training of the default study (configs/study/demo_synthetic.py)
# on the embedded synthetic COCO split: mmpose's top-down heatmap estimator
# with a quarter-width ResNet-18 (base and stem width 16), 64x64 crops
# (16x16 heatmaps), batch 32, 500 iterations at Adam lr 1e-3 after a
# 50-iteration warm-up, one thread, validated at the end (PCK@0.05 of the
# box). The model, loss and optimiser are those of the 140-epoch parent.
_base_ = ['./pose2d-simplebaseline_r18_1xb8-2e_coco-128x96_synthetic.py']
WIDTH = 16
max_iters = 500

codec = dict(
    type='MSRAHeatmap', input_size=(64, 64), heatmap_size=(16, 16), sigma=1)
model = dict(
    backbone=dict(base_channels=WIDTH, stem_channels=WIDTH),
    # SimpleBaseline's deconvolutions narrowed with the backbone (256 for a
    # 2048-channel ResNet-50; 32 here), so the head does not outweigh it.
    head=dict(
        in_channels=8 * WIDTH,
        deconv_out_channels=(32, 32, 32),
        decoder=codec))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = [dict(type='PCKAccuracy', thr=0.05, norm_item='bbox')]
test_evaluator = val_evaluator

param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01, by_epoch=False)
]
train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=max_iters)
log_processor = dict(by_epoch=False)
default_hooks = dict(
    logger=dict(interval=50, log_metric_by_epoch=False),
    checkpoint=dict(
        by_epoch=False, interval=max_iters, save_best=None,
        max_keep_ckpts=1))
