# integral_r50_1xb64-120e_occlusion-person.py on the embedded synthetic data (created
# on first use; Occlusion-Person stand-in: the synthetic h36m split behind
# synthetic occluders), sized for CPUs: ResNet-18, 64x64 crops, batch 16, 4
# epochs of 256 samples, Adam lr 1e-3 (a larger step for the short run), x0.1
# at epoch 3, validated every epoch on 64 people of the synthetic h36m test
# split. The same recipe as the real config with the synthetic dataset bases;
# the 3D-only run of the same total compute is
# integral_r18_1xb16-7e_occlusion-person_synthetic.py.
_base_ = [
    '../_base_/models/integral_r50.py',
    '../_base_/datasets/occlusion-person_train_synthetic.py',
    '../_base_/datasets/h36m-occlusion-person-pw3d-3dhp_test_synthetic.py',
    '../_base_/schedules/finetune_120e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        depth=18,
        init_cfg=dict(_delete_=True, type='Pretrained', checkpoint=None)),
    head=dict(in_channels=512))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[3], gamma=0.1)
]
train_cfg = dict(max_epochs=4, val_interval=1)
default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(
        type='CheckpointHook', interval=4, save_best=None, max_keep_ckpts=1))
