# HMR (Kanazawa et al., CVPR 2018) in mmhuman3d 0.x, initialised from a
# backbone exported by hpse_bench's tools/export_backbone.py.
#
# This is an mmhuman3d config (mmcv 1.x Config, EpochBasedRunner), not an
# hpse_bench one: run it from an mmhuman3d checkout in mmhuman3d's own
# environment (mmcv-full <= 1.6.1), e.g.
#   python tools/train.py /path/to/hmr_resnet50_exported-backbone.py
# It is self-contained (no _base_) so that it can live anywhere.
#
# The exported file holds plain ResNet keys (conv1, bn1, layerX.Y.*), the
# names mmhuman3d's ResNet uses, so the init_cfg below needs no prefix. mmcv
# 1.x loads non-strictly: given a whole-model checkpoint (keys 'backbone.*')
# it matches no tensor, logs the missing and unexpected keys as a warning and
# trains on from random weights; check the log for that warning.
# docs/export.md describes the export.
#
# The body-model folder (data/body_models) may be hpse_bench's embedded one:
# its smpl_mean_params.npz is float32, as mmhuman3d's HMR head needs.

# ---------------------------------------------------------------- runtime
checkpoint_config = dict(interval=10)
log_config = dict(interval=50, hooks=[dict(type='TextLoggerHook')])
dist_params = dict(backend='nccl')
log_level = 'INFO'
load_from = None
resume_from = None
workflow = [('train', 1)]

# ---------------------------------------------------------------- schedule
use_adversarial_train = True
optimizer = dict(
    backbone=dict(type='Adam', lr=2.5e-4),
    head=dict(type='Adam', lr=2.5e-4),
    disc=dict(type='Adam', lr=1e-4))
optimizer_config = dict(grad_clip=None)
lr_config = dict(policy='Fixed', by_epoch=False)
runner = dict(type='EpochBasedRunner', max_epochs=100)

# ---------------------------------------------------------------- model
img_res = 224
exported_backbone = 'work_dirs/export/backbone.pth'

model = dict(
    type='ImageBodyModelEstimator',
    backbone=dict(
        type='ResNet',
        depth=50,
        out_indices=[3],
        norm_eval=False,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(type='Pretrained', checkpoint=exported_backbone)),
    head=dict(
        type='HMRHead',
        feat_dim=2048,
        smpl_mean_params='data/body_models/smpl_mean_params.npz'),
    body_model_train=dict(
        type='SMPL',
        keypoint_src='smpl_54',
        keypoint_dst='smpl_45',
        model_path='data/body_models/smpl',
        keypoint_approximate=True,
        extra_joints_regressor='data/body_models/J_regressor_extra.npy'),
    body_model_test=dict(
        type='SMPL',
        keypoint_src='h36m',
        keypoint_dst='h36m',
        model_path='data/body_models/smpl',
        joints_regressor='data/body_models/J_regressor_h36m.npy'),
    convention='smpl_45',
    loss_keypoints3d=dict(type='SmoothL1Loss', loss_weight=100),
    loss_keypoints2d=dict(type='SmoothL1Loss', loss_weight=10),
    loss_vertex=dict(type='L1Loss', loss_weight=2),
    loss_smpl_pose=dict(type='MSELoss', loss_weight=3),
    loss_smpl_betas=dict(type='MSELoss', loss_weight=0.02),
    loss_adv=dict(
        type='GANLoss',
        gan_type='lsgan',
        real_label_val=1.0,
        fake_label_val=0.0,
        loss_weight=1),
    disc=dict(type='SMPLDiscriminator'))

# ---------------------------------------------------------------- data
dataset_type = 'HumanImageDataset'
img_norm_cfg = dict(
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
data_keys = [
    'has_smpl', 'smpl_body_pose', 'smpl_global_orient', 'smpl_betas',
    'smpl_transl', 'keypoints2d', 'keypoints3d', 'sample_idx'
]
meta_keys = ['image_path', 'center', 'scale', 'rotation']
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomChannelNoise', noise_factor=0.4),
    dict(type='RandomHorizontalFlip', flip_prob=0.5, convention='smpl_45'),
    dict(type='GetRandomScaleRotation', rot_factor=30, scale_factor=0.25),
    dict(type='MeshAffine', img_res=img_res),
    dict(type='Normalize', **img_norm_cfg),
    dict(type='ImageToTensor', keys=['img']),
    dict(type='ToTensor', keys=data_keys),
    dict(type='Collect', keys=['img', *data_keys], meta_keys=meta_keys),
]
adv_data_keys = [
    'smpl_body_pose', 'smpl_global_orient', 'smpl_betas', 'smpl_transl'
]
train_adv_pipeline = [dict(type='Collect', keys=adv_data_keys, meta_keys=[])]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='GetRandomScaleRotation', rot_factor=0, scale_factor=0),
    dict(type='MeshAffine', img_res=img_res),
    dict(type='Normalize', **img_norm_cfg),
    dict(type='ImageToTensor', keys=['img']),
    dict(type='ToTensor', keys=data_keys),
    dict(type='Collect', keys=['img', *data_keys], meta_keys=meta_keys),
]

# the six 2D/3D training sets of mmhuman3d's HMR recipe, mixed by partition
train_sets = [('h36m', 'h36m_mosh_train.npz'),
              ('mpi_inf_3dhp', 'mpi_inf_3dhp_train.npz'),
              ('lsp', 'lsp_train.npz'), ('lspet', 'hr-lspet_train.npz'),
              ('mpii', 'mpii_train.npz'), ('coco', 'coco_2014_train.npz')]

data = dict(
    samples_per_gpu=32,
    workers_per_gpu=1,
    train=dict(
        type='AdversarialDataset',
        train_dataset=dict(
            type='MixedDataset',
            configs=[
                dict(
                    type=dataset_type,
                    dataset_name=name,
                    data_prefix='data',
                    pipeline=train_pipeline,
                    convention='smpl_45',
                    ann_file=ann_file) for name, ann_file in train_sets
            ],
            partition=[0.35, 0.15, 0.1, 0.10, 0.10, 0.2]),
        adv_dataset=dict(
            type='MeshDataset',
            dataset_name='cmu_mosh',
            data_prefix='data',
            pipeline=train_adv_pipeline,
            ann_file='cmu_mosh.npz')),
    test=dict(
        type=dataset_type,
        body_model=dict(
            type='GenderedSMPL',
            keypoint_src='h36m',
            keypoint_dst='h36m',
            model_path='data/body_models/smpl',
            joints_regressor='data/body_models/J_regressor_h36m.npy'),
        dataset_name='pw3d',
        data_prefix='data',
        pipeline=test_pipeline,
        ann_file='pw3d_test.npz'),
)
