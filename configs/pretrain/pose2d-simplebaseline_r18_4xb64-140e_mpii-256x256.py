# pose2d-simplebaseline_r50_4xb64-140e_mpii-256x256.py with ResNet-18: the
# backbone sizes of the 2D-pre-training study (Mills et al., "2D Pre-Training
# for 3D Pose Estimation"). Validation: PCKh@0.5 (MpiiPCKAccuracy, 'PCK').
_base_ = ['./pose2d-simplebaseline_r50_4xb64-140e_mpii-256x256.py']

model = dict(backbone=dict(depth=18), head=dict(in_channels=512))
