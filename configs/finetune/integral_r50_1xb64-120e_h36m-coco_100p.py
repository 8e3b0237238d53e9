# Integral 3D pose regression (Sun et al., ECCV 2018): volumetric heatmaps
# and soft-argmax; keypoints only (no mesh, so no PVE).
# Fine-tuned from an exported backbone on Human3.6M + COCO, evaluated on
# 3DPW, Human3.6M and MuPoTS-3D; the study's 120-epoch schedule.
_base_ = [
    '../_base_/models/integral_r50.py',
    '../_base_/datasets/h36m-coco_train.py',
    '../_base_/datasets/pw3d-h36m-mupots_test.py',
    '../_base_/schedules/finetune_120e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        init_cfg=dict(_delete_=True, type='Pretrained', checkpoint=None)))
train_dataloader = dict(batch_size=64)
# No mesh: score 3DPW on keypoints only.
val_evaluator = dict(
    routes=dict(
        pw3d=dict(
            type='HumanMeshMetric',
            metrics=['pa_mpjpe', 'mpjpe'],
            joint_set='lsp_14',
            prefix='3dpw')))
test_evaluator = val_evaluator
