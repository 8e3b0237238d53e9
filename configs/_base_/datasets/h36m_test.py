# Human3.6M protocol 2 (subjects S9, S11, frontal camera, every 5th frame),
# evaluated by PA-MPJPE and MPJPE (LSP-14, pelvis-aligned, mm).
# File: data/preprocessed_datasets/h36m_valid_protocol2.npz (mmhuman3d/SPIN).
test_input_size = (224, 224)  # keep equal to the training input_size
test_pipeline = [
    dict(type='LoadHumanImage'),
    dict(type='TopdownHumanAffine', input_size=test_input_size),
    dict(type='PackHumanInputs'),
]

val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='HumanImageDataset',
        dataset_name='h36m',
        data_root='data/',
        ann_file='preprocessed_datasets/h36m_valid_protocol2.npz',
        data_prefix=dict(img='datasets/h36m/'),
        required_keys=('keypoints3d', ),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# A list: MMEngine reads a dict with a 'metrics' key as an Evaluator.
val_evaluator = [dict(
    type='HumanMeshMetric',
    metrics=['pa_mpjpe', 'mpjpe'],
    joint_set='lsp_14',
    prefix='h36m')]
test_evaluator = val_evaluator
