# MoCo v2 (Chen et al., arXiv 2003.04297) from mmpretrain on COCO train2017
# person crops, a baseline of Choi et al., ICLR 2023 (Tables 1 and 3):
# mmpretrain's model, views and optimiser (SGD, lr 0.03 for a total batch of
# 256), with the person crops and schedule of the shared base.
_base_ = [
    'mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py',
    '../_base_/pretrain/mmpretrain_ssl_coco_person_crops.py'
]
train_pipeline = [
    dict(type='LoadImageFromFile'), _base_.ssl_person_crop,
    *_base_.train_pipeline[1:]  # mmpretrain's multi-view and packing
]
train_dataloader = dict(
    batch_size=_base_.ssl_batch_size,
    # Redefined: inherited from a package config it would carry a _scope_
    # key that MMEngine passes on to the function.
    collate_fn=dict(_delete_=True, type='default_collate'),
    dataset=dict(
        _delete_=True, **_base_.ssl_coco_person_crops,
        pipeline=train_pipeline))
param_scheduler = _base_.ssl_param_scheduler
train_cfg = dict(max_epochs=_base_.ssl_max_epochs)
