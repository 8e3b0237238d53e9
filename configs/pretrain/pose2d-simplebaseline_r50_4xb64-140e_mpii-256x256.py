# 2D pose pre-training on MPII (Choi et al., ICLR 2023, Sec. 5; Mills et
# al., "2D Pre-Training for 3D Pose Estimation"): mmpose's top-down heatmap
# estimator with SimpleBaseline's head (Xiao et al., ECCV 2018), ResNet-50,
# 256x256, 4 GPUs x 64 crops, with the study's schedule: 140 epochs, Adam
# lr 1e-3, x0.1 at 90 and 120, after mmpose's warm-up. Validation: PCKh@0.5.
#   tools/dist_train.sh \
#       configs/pretrain/pose2d-simplebaseline_r50_4xb64-140e_mpii-256x256.py 4
# Needs data/mpii/ (annotations/mpii_{train,val}.json,
# annotations/mpii_gt_val.mat, images/), as mmpose lays it out.
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/mpii/'
    'td-hm_res50_8xb64-210e_mpii-256x256.py'
]
# hpse_bench's compatibility patches (mmcv-lite) before mmpose's models.
custom_imports = dict(imports=['hpse_bench'], allow_failed_imports=False)

train_cfg = dict(max_epochs=140, val_interval=10)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(
        type='LinearLR', begin=0, end=500, start_factor=0.001,
        by_epoch=False),  # mmpose's warm-up
    dict(
        type='MultiStepLR',
        begin=0,
        end=140,
        milestones=[90, 120],
        gamma=0.1,
        by_epoch=True)
]
auto_scale_lr = dict(base_batch_size=256)

# Random initial weights ("random init", ResNet's own initialisation)
# instead of mmpose's download of torchvision's ImageNet weights. To start
# from other weights, a config inheriting this one sets
#   model = dict(backbone=dict(init_cfg=dict(
#       _delete_=True, type='Pretrained', checkpoint='r50.pth')))
model = dict(
    backbone=dict(init_cfg=[
        dict(type='Kaiming', layer=['Conv2d']),
        dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
    ]))
