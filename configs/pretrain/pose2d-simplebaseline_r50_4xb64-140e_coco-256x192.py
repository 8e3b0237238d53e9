# 2D pose pre-training (Choi et al., ICLR 2023, Sec. 5 and Table 3): mmpose's
# top-down heatmap estimator with SimpleBaseline's head (Xiao et al., ECCV
# 2018) on COCO train2017 person crops, ResNet-50, 256x192, 4 GPUs x 64
# crops, with the study's schedule: 140 epochs, Adam lr 1e-3, x0.1 at 90
# and 120 (that of ../_base_/schedules/pretrain_140e.py, after mmpose's
# warm-up). Everything else is mmpose's config.
#   tools/dist_train.sh \
#       configs/pretrain/pose2d-simplebaseline_r50_4xb64-140e_coco-256x192.py 4
# Needs data/coco/ (annotations/person_keypoints_{train,val}2017.json,
# {train,val}2017/); the *_synthetic config runs on the embedded data.
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/coco/'
    'td-hm_res50_8xb64-210e_coco-256x192.py'
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

# Validation on ground-truth boxes: the pre-training is judged by the 3D
# fine-tuning, this only tracks the 2D task.
val_dataloader = dict(dataset=dict(bbox_file=None))
test_dataloader = val_dataloader
