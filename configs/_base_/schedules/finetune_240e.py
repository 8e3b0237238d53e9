# Fine-tuning from random initialisation: as long as pre-training plus
# fine-tuning together (Choi et al. 2023): 240 epochs, x0.1 at epoch 180.
_base_ = ['./finetune_120e.py']
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[180], gamma=0.1)
]
train_cfg = dict(by_epoch=True, max_epochs=240, val_interval=10)
