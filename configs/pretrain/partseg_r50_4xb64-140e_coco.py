# Part-segmentation pre-training (Choi et al., ICLR 2023, Sec. 5 and
# Table 3): ResNet-50 + PartSegmentationHead on the 14 coarse part masks of
# COCO-DensePose person crops (train2014), 256x192, 4 GPUs x 64 crops,
# 140 epochs, Adam lr 1e-3, x0.1 at 90 and 120.
#   tools/dist_train.sh configs/pretrain/partseg_r50_4xb64-140e_coco.py 4
# Needs data/coco/ (annotations/densepose_coco_2014_train.json, train2014/);
# the *_synthetic config runs on the embedded data.
_base_ = [
    '../_base_/models/partseg_r50.py',
    '../_base_/datasets/coco_densepose.py',
    '../_base_/schedules/pretrain_140e.py',
    '../_base_/default_runtime.py',
]

# Flips swap the left and right parts; chart coordinates are not used.
uv_symmetry = 'keep'
train_pipeline = [
    dict(type='mmpose.LoadImage'),
    dict(type='mmpose.GetBBoxCenterScale'),
    dict(type='DensePoseRandomFlip', uv_symmetry=uv_symmetry),
    dict(type='mmpose.RandomHalfBody'),
    dict(type='mmpose.RandomBBoxTransform'),
    dict(type='DensePoseTopdownAffine', input_size=_base_.input_size),
    dict(type='PackDensePoseInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
