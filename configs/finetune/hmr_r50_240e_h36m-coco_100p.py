# HMR from random initialisation: 240 epochs, x0.1 at 180, as long as
# pre-training plus fine-tuning together (Choi et al. 2023).
_base_ = [
    './hmr_r50_120e_h36m-coco_100p.py', '../_base_/schedules/finetune_240e.py'
]
model = dict(backbone=dict(init_cfg=None))
