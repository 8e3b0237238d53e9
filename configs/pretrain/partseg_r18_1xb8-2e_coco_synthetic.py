# partseg_r50_4xb64-140e_coco.py on the embedded synthetic COCO split
# (tools/train.py writes it under synthetic_data.root when missing):
# ResNet-18, 128x96 crops, batch 8, 2 epochs.
_base_ = ['./partseg_r50_4xb64-140e_coco.py']

synthetic_data = dict(root='data/synthetic')
input_size = (96, 128)

model = dict(backbone=dict(depth=18), head=dict(in_channels=512))

train_pipeline = [
    dict(type='mmpose.LoadImage'),
    dict(type='mmpose.GetBBoxCenterScale'),
    dict(type='DensePoseRandomFlip', uv_symmetry='keep'),
    dict(type='mmpose.RandomHalfBody'),
    dict(type='mmpose.RandomBBoxTransform'),
    dict(type='DensePoseTopdownAffine', input_size=input_size),
    dict(type='PackDensePoseInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        data_root='data/synthetic/coco/',
        ann_file='annotations/person_keypoints_train.json',
        data_prefix=dict(img='images/train/'),
        pipeline=train_pipeline))
train_cfg = dict(max_epochs=2)
default_hooks = dict(
    logger=dict(interval=1), checkpoint=dict(interval=1, max_keep_ckpts=1))
