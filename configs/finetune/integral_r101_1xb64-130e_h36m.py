# integral_r50_1xb64-130e_h36m.py (3D-only, the compute of 2D pre-training + 3D
# training) with ResNet-101. The rule does not depend on the depth: both
# stages run the same backbone.
_base_ = ['./integral_r101_1xb64-120e_h36m.py']

model = dict(backbone=dict(init_cfg=None))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[98], gamma=0.1)
]
train_cfg = dict(max_epochs=130)
