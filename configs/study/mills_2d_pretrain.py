# The second study: Mills, Jiang, Chen, "2D Pre-Training for 3D Pose
# Estimation" (arXiv 2604.22830). An integral 3D keypoint regressor (Sun et
# al., ECCV 2018) is trained on Human3.6M, Occlusion-Person or both, starting
# from a backbone pre-trained on 2D pose (MPII or LSP) or from random weights
# (3D only), for ResNet-18, 34, 50, 101 and 152; every model is tested on
# every test set. One run answers the study's three questions:
#   1. 2D pre-training vs 3D-only training at the same total compute;
#   2. how the backbone size changes that;
#   3. how each model generalises across datasets (train x test matrix).
#
#   python tools/study.py configs/study/mills_2d_pretrain.py \
#       --launcher pytorch --gpus 4
#   python tools/study.py configs/study/mills_2d_pretrain.py \
#       --launcher slurm --partition gpu --gpus 4
#
# Interrupted, the same command resumes (finished stages are kept, a killed
# one restarts from its last checkpoint). A subset runs with --cfg-options,
# e.g. finetune.integral_r152_h36m.pretrain=[] drops that regressor's runs.
#
# Stages (hpse_bench/study/spec.py): 2D pre-training (configs/pretrain/
# pose2d-simplebaseline_r*_4xb64-140e_{mpii,lsp}-256x256.py; PCKh@0.5 on
# the validation split) -> backbone export -> 3D training (configs/finetune/
# integral_r*_1xb64-120e_*.py; the 3D-only runs use the schedule of the
# integral_r*_1xb64-130e_*.py twins, the compute of MPII pre-training + 3D
# training by the rule of hpse_bench/study/compute_budget.py) -> one test
# run on Human3.6M (protocols 1 and 2), Occlusion-Person, 3DPW and
# MPI-INF-3DHP. Data: docs/datasets.md.
#
# Reports (work_root/report): results.md with the per-regressor tables,
# learning curves, the 2D validation metrics, the generalisation matrix,
# pre-trained vs 3D-only, and measured compute; CSV files and PNG plots
# (learning curves, MPJPE against total training compute).
study_name = 'mills_2d_pretrain'
work_root = 'work_dirs/study/mills_2d_pretrain'
gpus = 4
seeds = [0]
fractions = [1.0]

config_dir = '{{ fileDirname }}/..'
depths = (18, 34, 50, 101, 152)
# num_samples: training crops per 2D epoch (mmpose's mpii_train.json; LSP's
# 1000 training images + LSP-extended's 10000), for the compute rule.
pretrain_data = dict(
    mpii=dict(
        data='MPII',
        num_samples=22246,
        annotation_file='data/mpii/annotations/mpii_train.json',
        val_metrics={
            'PCK': 'PCKh@0.5',
            'PCK@0.1': 'PCKh@0.1'
        }),
    lsp=dict(
        data='LSP',
        num_samples=11000,
        annotation_file='data/lsp/annotations/lsp_train.json',
        val_metrics={
            'PCKh': 'PCKh@0.5 (head segment)',
            'PCK': 'PCK@0.2 (box)'
        }),
)
pretrain = dict()
for _name, _spec in pretrain_data.items():
    for _depth in depths:
        pretrain[f'{_name}_r{_depth}'] = dict(
            config=config_dir + f'/pretrain/pose2d-simplebaseline_r{_depth}'
            f'_4xb64-140e_{_name}-256x256.py',
            label=f'2D pose ({_spec["data"]}), R{_depth}',
            init_label=f'2D pose ({_spec["data"]})',
            data=_spec['data'],
            annotation='bbox+pose',
            annotation_file=_spec['annotation_file'],
            export_source='mmpose',
            depth=_depth,
            num_samples=_spec['num_samples'],
            val_metrics=_spec['val_metrics'])
# No config: random initialisation, the 3D-only baseline of every regressor.
pretrain['scratch'] = dict(label='3D only', data='-', annotation='none')

# The 3D-only run of each regressor: the settings of its integral_r*_1xb64-130e_*
# twin (random initialisation, 120 + 10 epochs, x0.1 at 98).
scratch_cfg_options = {
    'model.backbone.init_cfg': None,
    'train_cfg.max_epochs': 130,
    'param_scheduler.0.milestones': [98],
}
train_sets = {
    'h36m': 'Human3.6M',
    'occlusion-person': 'Occlusion-Person',
    'h36m-occlusion-person': 'Human3.6M + Occlusion-Person',
}
finetune = dict()
for _depth in depths:
    for _train_set in train_sets:
        finetune[f'integral_r{_depth}_{_train_set}'] = dict(
            config=config_dir + f'/finetune/integral_r{_depth}_1xb64-120e_'
            f'{_train_set}.py',
            scratch_cfg_options=scratch_cfg_options,
            pretrain=[f'mpii_r{_depth}', f'lsp_r{_depth}', 'scratch'],
            depth=_depth,
            train_set=_train_set,
            backbone_key='model.backbone')

generalization = dict(
    metric='mpjpe',
    curve_metric='h36m/mpjpe',
    train_sets=train_sets,
    test_sets=[
        dict(key='h36m', name='Human3.6M (P1)'),
        dict(key='occlusion-person', name='Occlusion-Person'),
        dict(key='3dpw', name='3DPW'),
        dict(key='mpi-inf-3dhp', name='MPI-INF-3DHP'),
    ])
table = dict(
    columns=[
        dict(key='h36m/mpjpe', name='H36M MPJPE (P1)', lower_is_better=True),
        dict(
            key='h36m/pa_mpjpe',
            name='H36M PA-MPJPE (P2)',
            lower_is_better=True),
        dict(
            key='occlusion-person/mpjpe',
            name='Occl.-Person MPJPE',
            lower_is_better=True),
        dict(key='3dpw/mpjpe', name='3DPW MPJPE', lower_is_better=True),
        dict(
            key='mpi-inf-3dhp/mpjpe',
            name='3DHP MPJPE',
            lower_is_better=True),
    ],
    curve_metric='h36m/mpjpe')
extra_reports = ['report_generalization']
del _name, _spec, _depth, _train_set
