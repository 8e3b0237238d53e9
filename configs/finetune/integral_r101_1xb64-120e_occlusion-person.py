# integral_r50_1xb64-120e_occlusion-person.py with ResNet-101: the backbone sizes of
# the 2D-pre-training study.
_base_ = ['./integral_r50_1xb64-120e_occlusion-person.py']

model = dict(backbone=dict(depth=101), head=dict(in_channels=2048))
