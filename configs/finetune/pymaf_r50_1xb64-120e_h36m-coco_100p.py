# PyMAF (Zhang et al., ICCV 2021): mesh-aligned feedback over a feature
# pyramid, trained end to end.
# Fine-tuned from an exported backbone on Human3.6M + COCO, evaluated on
# 3DPW, Human3.6M and MuPoTS-3D; the study's 120-epoch schedule.
_base_ = [
    '../_base_/models/pymaf_r50.py',
    '../_base_/datasets/h36m-coco_train.py',
    '../_base_/datasets/pw3d-h36m-mupots_test.py',
    '../_base_/schedules/finetune_120e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        init_cfg=dict(_delete_=True, type='Pretrained', checkpoint=None)))
train_dataloader = dict(batch_size=64)
