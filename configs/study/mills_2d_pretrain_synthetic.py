# The second study (Mills, Jiang, Chen, "2D Pre-Training for 3D Pose
# Estimation"; see mills_2d_pretrain.py) on the embedded synthetic data,
# sized for a 2-core CPU:
#
#   python tools/study.py configs/study/mills_2d_pretrain_synthetic.py
#
# (on a shared machine, OMP_NUM_THREADS=1 keeps the stages from fighting
# over the cores). Killed or interrupted, the same command resumes; with
# --report-only it rebuilds the report from the finished stages.
#
# - 2D stage (the MPII stand-in): 2D pose on the synthetic COCO split,
#   ResNet-18 and ResNet-34, 64x64 crops, 2 epochs of 384 people; PCK@0.05
#   and keypoint AP on the synthetic val split.
# - 3D stage: the integral regressor on the Human3.6M stand-in (synthetic
#   h36m split), the Occlusion-Person stand-in (the same split behind
#   synthetic occluders) or both, 64x64 crops, 4 epochs of 256 samples;
#   3D-only: 7 epochs (the rule of hpse_bench/study/compute_budget.py).
#   ResNet-18 on all three training sets, ResNet-34 on the first.
# - Test: every model on every synthetic test set (h36m, the occluded h36m,
#   pw3d, mupots standing in for MPI-INF-3DHP) in one run.
# Reports (work_root/report): results.md (the study tables, learning
# curves, the generalisation matrix, pre-trained vs 3D-only, compute),
# results.csv, generalization.csv, compute.csv, pretrain_2d.csv and PNG
# plots (learning curves, MPJPE against total compute).
study_name = 'mills_2d_pretrain_synthetic'
work_root = 'work_dirs/study/mills_2d_pretrain_synthetic'
gpus = 1
seeds = [0]
fractions = [1.0]

config_dir = '{{ fileDirname }}/..'
depths = (18, 34)
pretrain = dict()
for _depth in depths:
    pretrain[f'pose2d_r{_depth}'] = dict(
        config=config_dir + '/pretrain/pose2d-simplebaseline_r'
        f'{_depth}_1xb16-2e_coco-64x64_synthetic.py',
        label=f'2D pose, R{_depth}',
        init_label='2D pose',
        data='synthetic COCO',
        annotation='bbox+pose',
        export_source='mmpose',
        depth=_depth,
        # Training crops per 2D epoch (the config's first 384 people), for
        # the compute rule.
        num_samples=384,
        val_metrics={
            'PCK': 'PCK@0.05',
            'coco/AP': 'AP'
        })
# No config: random initialisation, the 3D-only baseline of every regressor.
pretrain['scratch'] = dict(label='3D only', data='-', annotation='none')

# The 3D-only run of each regressor: the settings of its
# integral_r*_1xb16-7e_*_synthetic.py twin (random initialisation, 4 + 3 epochs).
scratch_cfg_options = {
    'model.backbone.init_cfg': None,
    'train_cfg.max_epochs': 7,
    'param_scheduler.0.milestones': [5],
    'default_hooks.checkpoint.interval': 7,
}
train_sets = {
    'h36m': 'Human3.6M (synthetic h36m)',
    'occlusion-person': 'Occlusion-Person (synthetic occluders)',
    'h36m-occlusion-person': 'both',
}
finetune = dict()
for _depth, _train_sets in ((18, tuple(train_sets)), (34, ('h36m', ))):
    for _train_set in _train_sets:
        finetune[f'integral_r{_depth}_{_train_set}'] = dict(
            config=config_dir + f'/finetune/integral_r{_depth}_1xb16-4e_'
            f'{_train_set}_synthetic.py',
            scratch_cfg_options=scratch_cfg_options,
            pretrain=[f'pose2d_r{_depth}', 'scratch'],
            depth=_depth,
            train_set=_train_set,
            backbone_key='model.backbone')

generalization = dict(
    metric='mpjpe',
    curve_metric='h36m/mpjpe',
    train_sets=train_sets,
    test_sets=[
        dict(key='h36m', name='Human3.6M'),
        dict(key='occlusion-person', name='Occlusion-Person'),
        dict(key='3dpw', name='3DPW'),
        dict(key='mupots', name='MuPoTS (for MPI-INF-3DHP)'),
    ])
table = dict(
    columns=[
        dict(key='h36m/mpjpe', name='H36M MPJPE', lower_is_better=True),
        dict(key='h36m/pa_mpjpe', name='H36M PA-MPJPE', lower_is_better=True),
        dict(
            key='occlusion-person/mpjpe',
            name='Occl. MPJPE',
            lower_is_better=True),
        dict(key='3dpw/mpjpe', name='3DPW MPJPE', lower_is_better=True),
        dict(key='mupots/mpjpe', name='MuPoTS MPJPE', lower_is_better=True),
    ],
    curve_metric='h36m/mpjpe')
extra_reports = ['report_generalization']
del _depth, _train_set, _train_sets
