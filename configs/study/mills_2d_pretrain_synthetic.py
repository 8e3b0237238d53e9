# The second study (Mills, Jiang, Chen, "2D Pre-Training for 3D Pose
# Estimation"; see mills_2d_pretrain.py) on the embedded synthetic data,
# sized to measure on a 2-core CPU:
#
#   python tools/study.py configs/study/mills_2d_pretrain_synthetic.py
#
# Killed or interrupted, the same command resumes; with --report-only it
# rebuilds the report from the finished stages.
#
# - 2D stage (the MPII stand-in): 2D pose on the synthetic COCO split,
#   quarter-width ResNet-18 and ResNet-34, 64x64 crops, batch 32, 500
#   iterations; PCK@0.05 on the synthetic val split.
# - 3D stage: the integral regressor, same widths and crops, batch 32, 500
#   iterations on the Human3.6M stand-in (synthetic h36m split) or the
#   Occlusion-Person stand-in (the same split behind synthetic occluders);
#   ResNet-18 on both training sets, ResNet-34 on the first. 3D-only runs
#   get the 2D stage's compute on top (hpse_bench/study/compute_budget.py:
#   500 2D iterations of the same batch and crop size = 500 more 3D
#   iterations, 1000 in all).
# - Three seeds (2D and 3D seeds vary together), the constant baselines
#   (mean pose, training-set average pose, oracle), and every model tested
#   on every synthetic test set (h36m, the occluded h36m, pw3d, mupots
#   standing in for MPI-INF-3DHP) in one run.
# Independent stages run side by side, one thread each. Reports
# (work_root/report): results.md (the study table as mean ± std over seeds
# with the baselines, learning curves, the generalisation matrix,
# pre-trained vs 3D-only read against seed noise, compute), CSV/LaTeX
# tables and PNG plots.
#
# The numbers measure these small models on synthetic data; they are not
# tuned towards, and should not be read as, the paper's findings.
study_name = 'mills_2d_pretrain_synthetic'
work_root = 'work_dirs/study/mills_2d_pretrain_synthetic'
gpus = 1
seeds = [0, 1, 2]
fractions = [1.0]
parallel = dict(workers='auto', threads_per_stage=1)
baselines = True

config_dir = '{{ fileDirname }}/..'
depths = (18, 34)
pretrain_iters = 500
finetune_iters = 500
pretrain = dict()
for _depth in depths:
    pretrain[f'pose2d_r{_depth}'] = dict(
        config=config_dir + '/pretrain/pose2d-simplebaseline_r'
        f'{_depth}w16_1xb32-500it_coco-64x64_synthetic.py',
        label=f'2D pose, R{_depth}',
        init_label='2D pose',
        data='synthetic COCO',
        annotation='bbox+pose',
        export_source='mmpose',
        depth=_depth,
        val_metrics={'PCK': 'PCK@0.05'})
# No config: random initialisation, the 3D-only baseline of every regressor.
pretrain['scratch'] = dict(label='3D only', data='-', annotation='none')

# The 3D-only run of each regressor: the 2D stage's compute added as 3D
# iterations (same batch, same crop size), the cosine decay stretched to
# the longer run.
_scratch_iters = finetune_iters + pretrain_iters
scratch_cfg_options = {
    'model.backbone.init_cfg': None,
    'train_cfg.max_iters': _scratch_iters,
    'param_scheduler.1.end': _scratch_iters,
    'param_scheduler.1.T_max': _scratch_iters - 100,
    'default_hooks.checkpoint.interval': _scratch_iters,
}
train_sets = {
    'h36m': 'Human3.6M (synthetic h36m)',
    'occlusion-person': 'Occlusion-Person (synthetic occluders)',
}
finetune = dict()
for _depth, _train_sets in ((18, tuple(train_sets)), (34, ('h36m', ))):
    for _train_set in _train_sets:
        finetune[f'integral_r{_depth}_{_train_set}'] = dict(
            config=config_dir + f'/finetune/integral_r{_depth}w16_1xb32-500it_'
            f'{_train_set}-64x64_synthetic.py',
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
extra_reports = ['generalization']
del _depth, _train_set, _train_sets
