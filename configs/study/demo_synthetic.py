# The README's main job (`make demo`): the ICLR 2023 study's contrasts at a
# size that learns on 2 CPU cores, on the embedded synthetic data.
#
#   python tools/study.py configs/study/demo_synthetic.py
#
# Five initialisations of a quarter-width ResNet-18 (random, 2D pose,
# JointCon (J), DensePose, and one SSL baseline, SimCLR), each pre-trained on
# the synthetic COCO split for 500 iterations, exported, fine-tuned as HMR
# (SPIN's losses) on synthetic Human3.6M + COCO for 2500 iterations (equal
# for every initialisation), and tested on synthetic 3DPW, Human3.6M and
# MuPoTS-3D, at three seeds (pre-training and fine-tuning seeds vary
# together). Read against three constant baselines and, per pre-trained
# backbone, frozen-feature ridge probes (3D pose, 2D keypoints, facing).
# Independent stages run side by side, one thread each.
#
# The CUDA profile (chosen when a GPU is present, or with --profile cuda)
# keeps the same cells with full-width ResNet-18s at 128 px and longer
# schedules.
#
# The numbers measure these small models on synthetic data; they are not
# tuned towards, and should not be read as, the paper's ordering.
study_name = 'demo_synthetic'
work_root = 'work_dirs/study/demo_synthetic'
seeds = [0, 1, 2]
gpus = 1
fractions = [1.0]
parallel = dict(workers='auto', threads_per_stage=1)
baselines = True
probes = dict(enable=True, regressor='hmr')

_configs = 'configs/'
_coco_persons = 'data/synthetic/coco/annotations/person_keypoints_train.json'

pretrain = dict(
    random_init=dict(label='Random init', data='-', annotation='none'),
    pose2d=dict(
        label='2D pose',
        data='synthetic COCO',
        config=_configs + 'pretrain/'
        'pose2d-simplebaseline_r18w16_1xb32-500it_coco-64x64_synthetic.py',
        annotation='bbox+pose',
        annotation_file=_coco_persons),
    jointcon_j=dict(
        label='JointCon (J)',
        data='synthetic COCO',
        config=_configs +
        'pretrain/jointcon-j_r18w16_1xb32-500it_coco-64x64_synthetic.py',
        annotation='bbox+pose',
        annotation_file=_coco_persons),
    densepose=dict(
        label='DensePose',
        data='synthetic COCO',
        config=_configs +
        'pretrain/densepose_r18w16_1xb32-500it_coco-64x64_synthetic.py',
        annotation='densepose',
        annotation_file=_coco_persons),
    simclr=dict(
        label='SimCLR',
        data='synthetic COCO',
        config=_configs +
        'pretrain/simclr_r18w16_1xb32-500it_coco-64x64_synthetic.py',
        annotation='bbox',
        annotation_file=_coco_persons),
)

finetune = dict(
    hmr=dict(
        config=_configs +
        'finetune/hmr_r18w16_1xb32-2500it_h36m-coco-64x64_synthetic.py'))

table = dict(
    columns=[
        dict(key='3dpw/pa_mpjpe', name='3DPW PA-MPJPE', lower_is_better=True),
        dict(key='h36m/pa_mpjpe', name='H36M PA-MPJPE', lower_is_better=True),
        dict(key='mupots/pck_all', name='MuPoTS 3DPCK', lower_is_better=False),
    ],
    curve_metric='3dpw/pa_mpjpe')

# One GPU: stages one after another, each larger: full-width ResNet-18s
# (base width 64), batch 64, twice (fine-tuning) to four times
# (pre-training) the iterations. The crops stay 64x64
# (input sizes are config-file variables, which --cfg-options cannot reach).
_wide = {
    'model.backbone.base_channels': 64,
    'model.backbone.stem_channels': 64,
    'train_dataloader.batch_size': 64,
    'train_cfg.max_iters': 2000,
    'default_hooks.checkpoint.interval': 2000,
}
profiles = dict(
    cpu=dict(),
    cuda=dict(
        parallel=dict(workers=1, threads_per_stage=None),
        pretrain=dict(
            pose2d=dict(cfg_options=dict(
                _wide, **{
                    'model.head.in_channels': 512,
                    'model.head.deconv_out_channels': [128, 128, 128],
                    'train_cfg.val_interval': 2000,
                })),
            jointcon_j=dict(cfg_options=dict(
                _wide, **{
                    'model.neck.in_channels': 512,
                    'model.neck.hid_channels': 512,
                })),
            densepose=dict(cfg_options=dict(
                _wide, **{
                    'model.head.in_channels': 512,
                    'model.head.deconv_out_channels': [128, 128, 128],
                })),
            simclr=dict(cfg_options=dict(
                _wide, **{
                    'model.neck.in_channels': 512,
                    'model.neck.hid_channels': 512,
                    'optim_wrapper.optimizer.lr': 0.075,
                }))),
        finetune=dict(
            hmr=dict(
                cfg_options={
                    'model.backbone.base_channels': 64,
                    'model.backbone.stem_channels': 64,
                    'model.head.in_channels': 512,
                    'train_dataloader.batch_size': 64,
                    'train_cfg.max_iters': 5000,
                    'train_cfg.val_interval': 500,
                    'param_scheduler.1.end': 5000,
                    'param_scheduler.1.T_max': 4900,
                    'default_hooks.checkpoint.interval': 5000,
                })),
    ))
