# Pre-training on human data (Choi et al. 2023, Sec. 4): 140 epochs, lr 1e-3,
# x0.1 at epochs 90 and 120. Adam, as in the 2D-pose pre-training of the same
# study (Xiao et al.'s simple-baseline schedule), so that every pre-training
# on COCO person crops shares one optimiser and schedule.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.0))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[90, 120], gamma=0.1)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=140)
auto_scale_lr = dict(base_batch_size=256, enable=False)
