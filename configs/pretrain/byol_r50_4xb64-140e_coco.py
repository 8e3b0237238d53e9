# BYOL (Grill et al., NeurIPS 2020) from mmpretrain on COCO train2017 person
# crops: mmpretrain's model, views and optimiser (LARS), with the person
# crops and schedule of the shared base.
_base_ = [
    'mmpretrain::byol/byol_resnet50_16xb256-coslr-200e_in1k.py',
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
# mmpretrain's lr 4.8 is for a total batch of 4096; linear scaling to 256.
optim_wrapper = dict(optimizer=dict(lr=0.3))
auto_scale_lr = dict(base_batch_size=256)
