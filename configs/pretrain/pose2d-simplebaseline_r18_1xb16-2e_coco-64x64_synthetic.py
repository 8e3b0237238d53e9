# The 2D stage of the synthetic 2D-pre-training study
# (configs/study/mills_2d_pretrain_synthetic.py), standing in for MPII: 2D
# pose on the embedded synthetic COCO split, sized for CPUs: ResNet-18,
# 64x64 crops (16x16 heatmaps; the backbone's stride of 32 wants sides
# divisible by 32), the first 384 training people, batch 16,
# 2 epochs, validated every epoch on the synthetic val split by
# - PCKAccuracy: 'PCK', PCK@0.05 of the person box (synthetic people have no
#   head box; 5 % of the box side is about half a head, as strict as PCKh@0.5),
# - CocoMetric: 'coco/AP' (keypoint AP through xtcocotools).
_base_ = ['./pose2d-simplebaseline_r18_1xb8-2e_coco-128x96_synthetic.py']

codec = dict(
    type='MSRAHeatmap', input_size=(64, 64), heatmap_size=(16, 16), sigma=1)
model = dict(head=dict(decoder=codec))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
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
    batch_size=16,
    persistent_workers=False,
    dataset=dict(indices=384, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    persistent_workers=False,
    dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='PCKAccuracy', thr=0.05, norm_item='bbox'),
    dict(
        type='CocoMetric',
        ann_file='data/synthetic/coco/annotations/person_keypoints_val.json'),
]
test_evaluator = val_evaluator

train_cfg = dict(max_epochs=2, val_interval=1)
# mmpose's 500-iteration warm-up would span the whole run: 20 iterations,
# then the constant lr 1e-3 (the study's steps at 90 and 120 lie beyond).
param_scheduler = [
    dict(
        type='LinearLR', begin=0, end=20, start_factor=0.001, by_epoch=False)
]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=2, save_best=None, max_keep_ckpts=1))
