# Fine-tuning from a pre-trained backbone (Choi et al. 2023, Sec. 4):
# 120 epochs, Adam, lr 1e-4, x0.1 at epoch 90.
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4, weight_decay=0.0))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[90], gamma=0.1)
]
train_cfg = dict(by_epoch=True, max_epochs=120, val_interval=5)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256, enable=False)
