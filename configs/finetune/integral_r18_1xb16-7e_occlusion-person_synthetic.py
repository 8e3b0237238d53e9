# 3D-only training ("from scratch") of
# integral_r18_1xb16-4e_occlusion-person_synthetic.py with the compute of the
# synthetic 2D stage + 3D training (hpse_bench/study/compute_budget.py): 2
# epochs of 384 crops at 64x64 cost 2 * 384 * 64 * 64 / (256 * 64 * 64) = 3 3D
# epochs, so 4 + 3 = 7 epochs, x0.1 at round(3 * 7 / 4) = 5.
_base_ = ['./integral_r18_1xb16-4e_occlusion-person_synthetic.py']

model = dict(backbone=dict(init_cfg=None))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[5], gamma=0.1)
]
train_cfg = dict(max_epochs=7)
default_hooks = dict(checkpoint=dict(interval=7))
