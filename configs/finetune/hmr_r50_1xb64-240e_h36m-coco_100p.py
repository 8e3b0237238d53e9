# HMR from random initialisation: 240 epochs, x0.1 at 180, as long as
# pre-training plus fine-tuning together (Choi et al. 2023; the schedule of
# ../_base_/schedules/finetune_240e.py).
_base_ = ['./hmr_r50_1xb64-120e_h36m-coco_100p.py']

model = dict(backbone=dict(init_cfg=None))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[180], gamma=0.1)
]
train_cfg = dict(max_epochs=240, val_interval=10)
