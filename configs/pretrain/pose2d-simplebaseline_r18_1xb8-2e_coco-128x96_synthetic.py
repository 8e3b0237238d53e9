# pose2d-simplebaseline_r50_4xb64-140e_coco-256x192.py on the embedded
# synthetic COCO split (tools/train.py writes it under synthetic_data.root
# when missing): ResNet-18, 128x96 crops (32x24 heatmaps), batch 8,
# 2 epochs, validated every epoch with mmpose's CocoMetric (keypoint AP
# through xtcocotools) on the synthetic val split.
_base_ = ['./pose2d-simplebaseline_r50_4xb64-140e_coco-256x192.py']

synthetic_data = dict(root='data/synthetic')
data_root = 'data/synthetic/coco/'
codec = dict(
    type='MSRAHeatmap', input_size=(96, 128), heatmap_size=(24, 32), sigma=2)

model = dict(
    backbone=dict(depth=18), head=dict(in_channels=512, decoder=codec))

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
    batch_size=8,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/person_keypoints_train.json',
        data_prefix=dict(img='images/train/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/person_keypoints_val.json',
        data_prefix=dict(img='images/val/'),
        pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root +
                     'annotations/person_keypoints_val.json')
test_evaluator = val_evaluator

train_cfg = dict(max_epochs=2, val_interval=1)
default_hooks = dict(
    logger=dict(interval=1), checkpoint=dict(interval=1))
