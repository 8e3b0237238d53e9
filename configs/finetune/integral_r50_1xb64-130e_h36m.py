# 3D-only training ("from scratch") of integral_r50_1xb64-120e_h36m.py: random
# initial weights, trained for as long as 2D pre-training and 3D training
# together cost (hpse_bench/study/compute_budget.py): MPII 2D pre-training,
# 140 epochs of 22,246 crops, costs ceil(140 * 22246 / 312188) = 10 3D
# epochs at the same input size, so 120 + 10 = 130 epochs, x0.1 at
# round(90 * 130 / 120) = 98. (LSP pre-training, 1,000 + 10,000 crops, costs
# less: the 3D-only run gets at least the compute of every pre-training.)
_base_ = ['./integral_r50_1xb64-120e_h36m.py']

model = dict(backbone=dict(init_cfg=None))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[98], gamma=0.1)
]
train_cfg = dict(max_epochs=130)
