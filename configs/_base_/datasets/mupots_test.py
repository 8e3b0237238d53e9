# MuPoTS-3D (Mehta et al., 3DV 2018), 3DPCK / AUC by the official
# multi-person protocol; one HumanData row per annotated person, grouped by
# image_id. File: data/preprocessed_datasets/mupots3d_test.npz (written by
# hpse_bench's converter; images under data/datasets/mupots3d/).
test_input_size = (224, 224)  # keep equal to the training input_size
test_pipeline = [
    dict(type='LoadHumanImage'),
    dict(type='TopdownHumanAffine', input_size=test_input_size),
    # 'sequence' (TS1..TS20), when the file has it, gives per-sequence values.
    dict(type='PackHumanInputs', optional_meta_keys=('sequence', )),
]

val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='HumanImageDataset',
        dataset_name='mupots',
        data_root='data/',
        ann_file='preprocessed_datasets/mupots3d_test.npz',
        data_prefix=dict(img='datasets/mupots3d/'),
        required_keys=('keypoints2d', 'keypoints3d'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='MuPoTSMetric', prefix='mupots')
test_evaluator = val_evaluator
