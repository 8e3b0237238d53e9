# integral_r50_1xb64-120e_h36m-occlusion-person.py with ResNet-18: the backbone sizes
# of the 2D-pre-training study.
_base_ = ['./integral_r50_1xb64-120e_h36m-occlusion-person.py']

model = dict(backbone=dict(depth=18), head=dict(in_channels=512))
