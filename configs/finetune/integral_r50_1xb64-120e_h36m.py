# Integral 3D pose regression (Sun et al., "Integral Human Pose Regression",
# ECCV 2018) trained on Human3.6M from an exported 2D-pose backbone: the 3D
# stage of the 2D-pre-training study (Mills et al., "2D Pre-Training for 3D
# Pose Estimation"). 256x256 crops; 120 epochs of 312,188 samples, Adam lr
# 1e-4, x0.1 at 90. Evaluated on every test set of the study at once
# (Human3.6M protocols 1 and 2, Occlusion-Person, 3DPW, MPI-INF-3DHP).
# Set the backbone with
#   --cfg-options model.backbone.init_cfg.checkpoint=backbone.pth
# (tools/study.py does this for every pre-training). The 3D-only run of the
# same total compute is integral_r50_1xb64-130e_h36m.py.
_base_ = [
    '../_base_/models/integral_r50.py',
    '../_base_/datasets/h36m_train.py',
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
