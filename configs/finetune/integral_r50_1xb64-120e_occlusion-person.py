# integral_r50_1xb64-120e_h36m.py trained on Occlusion-Person (Zhang et al., AdaFuse,
# IJCV 2021) instead: the same model, schedule, epoch length (312,188 samples)
# and test sets. The 3D-only run of the same total compute is
# integral_r50_1xb64-130e_occlusion-person.py.
_base_ = [
    '../_base_/models/integral_r50.py',
    '../_base_/datasets/occlusion-person_train.py',
    '../_base_/datasets/h36m-occlusion-person-pw3d-3dhp_test.py',
    '../_base_/schedules/finetune_120e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        init_cfg=dict(_delete_=True, type='Pretrained', checkpoint=None)))
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook',
        interval=10,
        save_best='h36m/mpjpe',
        rule='less',
        max_keep_ckpts=2))
