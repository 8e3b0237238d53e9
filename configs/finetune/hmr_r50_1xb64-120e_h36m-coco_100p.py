# HMR (Kanazawa et al., CVPR 2018) trained as SPIN without in-the-loop
# fitting, fine-tuned from an exported backbone on Human3.6M + COCO (EFT),
# evaluated on 3DPW, Human3.6M (protocol 2) and MuPoTS-3D. The study's
# schedule for a pre-trained backbone (Choi et al. 2023): 120 epochs, lr 1e-4,
# x0.1 at 90. Set the backbone with
#   --cfg-options model.backbone.init_cfg.type=Pretrained \
#                 model.backbone.init_cfg.checkpoint=work_dirs/export/backbone.pth
# (tools/study.py does this for every pre-training method).
_base_ = [
    '../_base_/models/hmr_r50.py',
    '../_base_/datasets/h36m-coco_train.py',
    '../_base_/datasets/pw3d-h36m-mupots_test.py',
    '../_base_/schedules/finetune_120e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        init_cfg=dict(_delete_=True, type='Pretrained', checkpoint=None)))
train_dataloader = dict(batch_size=64)
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook',
        interval=10,
        save_best='3dpw/pa_mpjpe',
        rule='less',
        max_keep_ckpts=2))
