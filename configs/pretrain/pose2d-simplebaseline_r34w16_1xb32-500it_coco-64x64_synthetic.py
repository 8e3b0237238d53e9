# pose2d-simplebaseline_r18w16_1xb32-500it_coco-64x64_synthetic.py with a
# quarter-width ResNet-34: the second backbone size of the synthetic
# 2D-pre-training study (configs/study/mills_2d_pretrain_synthetic.py).
_base_ = ['./pose2d-simplebaseline_r18w16_1xb32-500it_coco-64x64_synthetic.py']

model = dict(backbone=dict(depth=34))
