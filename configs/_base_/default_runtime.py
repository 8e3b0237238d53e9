default_scope = 'hpse_bench'
custom_imports = dict(imports=['hpse_bench'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # Off by default; tools/test.py --show-dir DIR switches it on.
    visualization=dict(type='HumanMeshVisualizationHook', enable=False),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
# No fixed name: MMEngine hands back an existing visualiser of the same name
# whatever its type, so a second runner in one process (a notebook, a test
# session) would silently reuse the first one's. The runner names it after
# the experiment instead.
visualizer = dict(type='HumanMeshVisualizer', vis_backends=vis_backends)
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
