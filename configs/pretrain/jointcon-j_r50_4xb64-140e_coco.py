# JointCon, variant J (Choi et al., ICLR 2023, Sec. 3.3 and Table 2): joint
# features sampled at the ground-truth 2D joints of the last ResNet-50 stage,
# projected and contrasted; positives are the same joint class across
# images. COCO train2017 person crops, 4 GPUs x 64 crops (two views each),
# 140 epochs. Needs data/coco/ (annotations/person_keypoints_train2017.json,
# train2017/); the *_synthetic config runs on the embedded data.
_base_ = [
    '../_base_/datasets/coco_person_crops.py',
    '../_base_/schedules/pretrain_140e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='JointCon',
    positive='joint',
    backbone=dict(
        type='mmpretrain.ResNet',
        depth=50,
        norm_cfg=dict(type='SyncBN'),
        zero_init_residual=True),
    # SupCon's projection (Linear-ReLU-Linear) of each joint feature; no
    # BatchNorm, so a batch with few visible joints is no special case.
    neck=dict(
        type='ProjectionMLP',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128),
    head=dict(
        type='SupConHead',
        loss=dict(type='SupervisedContrastiveLoss'),
        temperature=0.1))

default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
