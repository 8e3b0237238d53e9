# The README's main job: the ICLR 2023 study's design at CPU scale on the
# embedded synthetic data. Six initialisations of a ResNet-18 (random, 2D
# pose, JointCon (J), PeCLR, SimCLR, DensePose), each pre-trained on the
# synthetic `coco` split, exported, fine-tuned as HMR on synthetic
# h36m + coco at 100 % and 10 %, and evaluated on synthetic 3DPW, Human3.6M
# and MuPoTS-3D. About 30 minutes on 2 CPU cores (34 stages; measured 28:20
# on an idle machine): 2 epochs of pre-training on 512 person crops, 2 epochs
# of fine-tuning (4 from random init).
#
#   python tools/study.py configs/study/demo_synthetic.py
#
# The numbers measure these small models on synthetic data; they are not
# tuned towards, and should not be read as, the paper's ordering.
study_name = 'demo_synthetic'
work_root = 'work_dirs/study/demo_synthetic'
seeds = [0]
gpus = 1
fractions = [1.0, 0.1]

# Sizes every stage shares: the synthetic data and the CPU threads.
stage_cfg_options = {
    'synthetic_data.root': 'data/synthetic',
    'synthetic_data.workers': 2,
}

# Pre-training sees the first 512 person crops of the synthetic coco split.
_pretrain_common = {
    'train_dataloader.dataset.indices': 512,
    'train_dataloader.batch_size': 32,
    'train_cfg.max_epochs': 2,
    'default_hooks.checkpoint.interval': 2,
    'default_hooks.logger.interval': 10,
}
_coco_persons = 'data/synthetic/coco/annotations/person_keypoints_train.json'

pretrain = dict(
    random_init=dict(label='Random init', data='-', annotation='none'),
    pose2d=dict(
        label='2D pose',
        data='synthetic COCO',
        config='configs/pretrain/'
        'pose2d-simplebaseline_r18_1xb8-2e_coco-128x96_synthetic.py',
        cfg_options=dict(_pretrain_common, **{'train_cfg.val_interval': 2}),
        annotation='bbox+pose',
        annotation_file=_coco_persons),
    jointcon_j=dict(
        label='JointCon (J)',
        data='synthetic COCO',
        config='configs/pretrain/jointcon-j_r18_1xb8-2e_coco_synthetic.py',
        cfg_options=_pretrain_common,
        annotation='bbox+pose',
        annotation_file=_coco_persons),
    peclr=dict(
        label='PeCLR',
        data='synthetic COCO',
        config='configs/pretrain/peclr_r18_1xb8-2e_coco_synthetic.py',
        cfg_options=_pretrain_common,
        annotation='bbox',
        annotation_file=_coco_persons),
    simclr=dict(
        label='SimCLR',
        data='synthetic COCO',
        config='configs/pretrain/simclr_r18_1xb8-2e_coco_synthetic.py',
        cfg_options=_pretrain_common,
        annotation='bbox',
        annotation_file=_coco_persons),
    densepose=dict(
        label='DensePose',
        data='synthetic COCO',
        config='configs/pretrain/densepose_r18_1xb8-2e_coco_synthetic.py',
        cfg_options=_pretrain_common,
        annotation='densepose',
        annotation_file=_coco_persons),
)

finetune = dict(
    hmr=dict(
        config='configs/finetune/hmr_r18_1xb32-8e_h36m-coco_100p_synthetic.py',
        cfg_options={
            'train_cfg.max_epochs': 2,
            'param_scheduler.0.milestones': [2],
            'default_hooks.checkpoint.interval': 2,
        },
        # Random init trains twice as long (the paper's 240 vs 120 epochs).
        scratch_cfg_options={
            'train_cfg.max_epochs': 4,
            'param_scheduler.0.milestones': [4],
            'default_hooks.checkpoint.interval': 4,
        }),
)

table = dict(
    columns=[
        dict(key='3dpw/pa_mpjpe', name='3DPW PA-MPJPE', lower_is_better=True),
        dict(key='h36m/pa_mpjpe', name='H36M PA-MPJPE', lower_is_better=True),
        dict(key='mupots/pck_all', name='MuPoTS 3DPCK', lower_is_better=False),
    ],
    curve_metric='3dpw/pa_mpjpe')
