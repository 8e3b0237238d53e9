# The study's three test sets in one val/test pass: 3DPW (PA-MPJPE, MPJPE,
# PVE), Human3.6M protocol 2 (PA-MPJPE, MPJPE) and MuPoTS-3D (3DPCK, AUC).
# A ConcatDataset feeds MultiDatasetMetric, which routes every sample by its
# dataset_name, so validation during fine-tuning yields the learning curves
# of all three and one tools/test.py run yields a full table row.
# The datasets are those of pw3d_test.py, h36m_test.py and mupots_test.py.
test_input_size = (224, 224)  # keep equal to the training input_size
test_pipeline = [
    dict(type='LoadHumanImage'),
    dict(type='TopdownHumanAffine', input_size=test_input_size),
    dict(type='PackHumanInputs', optional_meta_keys=('gender', 'sequence')),
]

test_sets = dict(
    pw3d=dict(
        type='HumanImageDataset',
        dataset_name='pw3d',
        data_root='data/',
        ann_file='preprocessed_datasets/pw3d_test.npz',
        data_prefix=dict(img='datasets/pw3d/'),
        required_keys=('smpl', ),
        test_mode=True,
        pipeline=test_pipeline),
    h36m=dict(
        type='HumanImageDataset',
        dataset_name='h36m',
        data_root='data/',
        ann_file='preprocessed_datasets/h36m_valid_protocol2.npz',
        data_prefix=dict(img='datasets/h36m/'),
        required_keys=('keypoints3d', ),
        test_mode=True,
        pipeline=test_pipeline),
    mupots=dict(
        type='HumanImageDataset',
        dataset_name='mupots',
        data_root='data/',
        ann_file='preprocessed_datasets/mupots3d_test.npz',
        data_prefix=dict(img='datasets/mupots3d/'),
        required_keys=('keypoints2d', 'keypoints3d'),
        test_mode=True,
        pipeline=test_pipeline),
)

val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ConcatDataset',
        # Each test set names itself in its metainfo.
        ignore_keys=['dataset_name'],
        datasets=[test_sets['pw3d'], test_sets['h36m'], test_sets['mupots']]))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='MultiDatasetMetric',
    routes=dict(
        pw3d=dict(
            type='HumanMeshMetric',
            metrics=['pa_mpjpe', 'mpjpe', 'pve'],
            joint_set='lsp_14',
            prefix='3dpw'),
        h36m=dict(
            type='HumanMeshMetric',
            metrics=['pa_mpjpe', 'mpjpe'],
            joint_set='lsp_14',
            prefix='h36m'),
        mupots=dict(type='MuPoTSMetric', prefix='mupots')))
test_evaluator = val_evaluator
