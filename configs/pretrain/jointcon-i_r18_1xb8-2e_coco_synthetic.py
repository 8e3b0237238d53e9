# jointcon-i_r50_4xb64-140e_coco.py on the embedded synthetic COCO split
# (tools/train.py writes it under synthetic_data.root when missing): ResNet-18,
# 128x96 crops, batch 8, 2 epochs; the sizes of
# jointcon-j_r18_1xb8-2e_coco_synthetic.py.
_base_ = ['./jointcon-i_r50_4xb64-140e_coco.py']

synthetic_data = dict(root='data/synthetic')
input_size = (96, 128)

model = dict(
    backbone=dict(depth=18, norm_cfg=dict(type='BN')),
    neck=dict(in_channels=512, hid_channels=512, out_channels=128))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PersonCrop', input_size=input_size, padding=1.25),
    _base_.multi_view,
    dict(type='PackMultiViewInputs'),
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
