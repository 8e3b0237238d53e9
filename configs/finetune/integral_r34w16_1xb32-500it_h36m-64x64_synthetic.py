# integral_r18w16_1xb32-500it_h36m-64x64_synthetic.py with a quarter-width
# ResNet-34: the second backbone size of the synthetic 2D-pre-training study.
_base_ = ['./integral_r18w16_1xb32-500it_h36m-64x64_synthetic.py']

model = dict(backbone=dict(depth=34))
