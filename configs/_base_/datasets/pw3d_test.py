# 3DPW test set (von Marcard et al., ECCV 2018), evaluated as HMR/SPIN/PARE
# do: PA-MPJPE, MPJPE (LSP-14, pelvis-aligned, mm) and PVE.
# mmhuman3d's preprocessed file data/preprocessed_datasets/pw3d_test.npz has
# SMPL parameters and meta['gender'] but no keypoints3d (packed as
# gt_smpl_pose / gt_smpl_betas, with 'gender' in the metainfo).
test_input_size = (224, 224)  # keep equal to the training input_size
test_pipeline = [
    dict(type='LoadHumanImage'),
    dict(type='TopdownHumanAffine', input_size=test_input_size),
    dict(type='PackHumanInputs', optional_meta_keys=('gender', )),
]

val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='HumanImageDataset',
        dataset_name='pw3d',
        data_root='data/',
        ann_file='preprocessed_datasets/pw3d_test.npz',
        data_prefix=dict(img='datasets/pw3d/'),
        required_keys=('smpl', ),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# A list: MMEngine reads a dict with a 'metrics' key as an Evaluator.
val_evaluator = [dict(
    type='HumanMeshMetric',
    metrics=['pa_mpjpe', 'mpjpe', 'pve'],
    joint_set='lsp_14',
    prefix='3dpw')]
test_evaluator = val_evaluator
