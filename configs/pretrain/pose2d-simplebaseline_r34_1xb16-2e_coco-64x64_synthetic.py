# pose2d-simplebaseline_r18_1xb16-2e_coco-64x64_synthetic.py with ResNet-34:
# the second backbone size of the synthetic 2D-pre-training study.
_base_ = ['./pose2d-simplebaseline_r18_1xb16-2e_coco-64x64_synthetic.py']

model = dict(backbone=dict(depth=34), head=dict(in_channels=512))
