# BYOL (Grill et al., NeurIPS 2020) from mmpretrain on COCO train2017 person
# crops. mmpretrain's model, augmentation and optimiser (LARS; its lr 4.8 for
# a total batch of 4096 scaled linearly to 0.3 for 256); the study's length of
# pre-training on human data: 140 epochs, lr x0.1 at epochs 90 and 120. The
# person crop (256x192) replaces the ImageNet image before mmpretrain's views.
# 4 GPUs x 64 crops. Needs data/coco/
# (annotations/person_keypoints_train2017.json, train2017/).
_base_ = 'mmpretrain::byol/byol_resnet50_16xb256-coslr-200e_in1k.py'
custom_imports = dict(imports=['hpse_bench'], allow_failed_imports=False)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='hpse_bench.PersonCrop', input_size=(192, 256), padding=1.25),
    *_base_.train_pipeline[1:],  # mmpretrain's MultiView and PackInputs
]
train_dataloader = dict(
    batch_size=64,
    # Redefined: inherited from a package config it would carry a _scope_
    # key that MMEngine passes on to the function.
    collate_fn=dict(_delete_=True, type='default_collate'),
    dataset=dict(
        _delete_=True,
        type='hpse_bench.CocoPersonCropDataset',
        data_root='data/coco/',
        ann_file='annotations/person_keypoints_train2017.json',
        data_prefix=dict(img='train2017/'),
        min_keypoints=1,
        pipeline=train_pipeline))

param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[90, 120], gamma=0.1)
]
train_cfg = dict(max_epochs=140)
# mmpretrain's lr 4.8 is for a total batch of 4096; linear scaling to 256.
optim_wrapper = dict(optimizer=dict(lr=0.3))
auto_scale_lr = dict(base_batch_size=256)
