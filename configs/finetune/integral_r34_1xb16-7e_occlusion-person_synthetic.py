# integral_r18_1xb16-7e_occlusion-person_synthetic.py with ResNet-34: the second
# backbone size of the synthetic 2D-pre-training study.
_base_ = ['./integral_r18_1xb16-7e_occlusion-person_synthetic.py']

model = dict(backbone=dict(depth=34))
