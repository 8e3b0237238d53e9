# Table 3 of Choi et al. (ICLR 2023) on real data, for 8 GPUs:
# ResNet-50 pre-trained on COCO in each way, fine-tuned as PARE on
# Human3.6M + COCO at 100 % and 10 %, evaluated on 3DPW (PA-MPJPE),
# Human3.6M (PA-MPJPE, protocol 2) and MuPoTS-3D (3DPCK).
#
#   python tools/study.py configs/study/paper_table3.py --launcher pytorch --gpus 8
#   python tools/study.py configs/study/paper_table3.py --launcher slurm \
#       --partition PARTITION --gpus 8
#
# Needs the real data laid out as in docs/datasets.md and the real SMPL
# (set smpl_root in the fine-tuning configs). Published weights that cannot
# be trained here (ImageNet classification, PARE trained on AGORA or
# SURREAL) are given as checkpoint files to export; put them at the paths
# below or change them. The pre-training configs are written for 4 GPUs x 64
# (the paper's 4 x RTX 2080Ti); on 8 GPUs pass --cfg-options
# auto_scale_lr.enable=True to the stages, or keep 4 GPUs per stage.
study_name = 'paper_table3'
work_root = 'work_dirs/study/paper_table3'
seeds = [0]
gpus = 8
fractions = [1.0, 0.1]

_coco_persons = 'data/coco/annotations/person_keypoints_train2017.json'

pretrain = dict(
    random_init=dict(label='Random init', data='-', annotation='none'),
    imagenet_cls=dict(
        label='Classification',
        data='ImageNet',
        checkpoint='data/pretrained/resnet50_imagenet1k_torchvision.pth',
        export_source='torchvision',
        annotation='none'),
    peclr=dict(
        label='PeCLR',
        data='COCO',
        config='configs/pretrain/peclr_r50_4xb64-140e_coco.py',
        annotation='bbox',
        annotation_file=_coco_persons),
    mocov2=dict(
        label='MoCo v2',
        data='COCO',
        config='configs/pretrain/mocov2_r50_4xb64-140e_coco.py',
        annotation='bbox',
        annotation_file=_coco_persons),
    swav=dict(
        label='SwAV',
        data='COCO',
        config='configs/pretrain/swav_r50_4xb64-mcrop-140e_coco.py',
        annotation='bbox',
        annotation_file=_coco_persons),
    agora=dict(
        label='3DHPSE (PARE)',
        data='AGORA',
        checkpoint='data/pretrained/pare_r50_agora.pth',
        annotation='none'),
    surreal=dict(
        label='3DHPSE (PARE)',
        data='SURREAL',
        checkpoint='data/pretrained/pare_r50_surreal.pth',
        annotation='none'),
    partseg=dict(
        label='Part segmentation',
        data='COCO',
        config='configs/pretrain/partseg_r50_4xb64-140e_coco.py',
        annotation='densepose'),
    densepose=dict(
        label='DensePose',
        data='COCO',
        config='configs/pretrain/densepose_r50_4xb64-140e_coco.py',
        annotation='densepose'),
    pose2d=dict(
        label='2D pose',
        data='COCO',
        config='configs/pretrain/'
        'pose2d-simplebaseline_r50_4xb64-140e_coco-256x192.py',
        annotation='bbox+pose',
        annotation_file=_coco_persons),
)

finetune = dict(
    pare=dict(
        config='configs/finetune/pare_r50_1xb64-120e_h36m-coco_100p.py',
        # From random init: 240 epochs, x0.1 at 180.
        scratch_cfg_options={
            'train_cfg.max_epochs': 240,
            'param_scheduler.0.milestones': [180],
        }),
)

table = dict(
    columns=[
        dict(key='3dpw/pa_mpjpe', name='3DPW PA-MPJPE', lower_is_better=True),
        dict(key='h36m/pa_mpjpe', name='H36M PA-MPJPE', lower_is_better=True),
        dict(key='mupots/pck_all', name='MuPoTS 3DPCK', lower_is_better=False),
    ],
    curve_metric='3dpw/pa_mpjpe')
