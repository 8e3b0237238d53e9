# pw3d-h36m-mupots_test.py on the embedded synthetic test splits. Lists are
# replaced, not merged, when configs inherit, so the datasets are restated.
_base_ = ['./pw3d-h36m-mupots_test.py']
# The synthetic boxes are the tight boxes of the visible pixels; real
# HumanData boxes carry SPIN's 1.2 enlargement (mmhuman3d's converters).
SYNTHETIC_BBOX_SCALE = 1.2

test_input_size = (128, 128)  # keep equal to the training input_size
test_pipeline = [
    dict(type='LoadHumanImage'),
    dict(type='TopdownHumanAffine', input_size=test_input_size),
    dict(type='PackHumanInputs', optional_meta_keys=('gender', 'sequence')),
]
test_sets = dict(
    pw3d=dict(
        type='HumanImageDataset',
        dataset_name='pw3d',
        data_root='data/synthetic/',
        bbox_scale_factor=SYNTHETIC_BBOX_SCALE,
        ann_file='pw3d/pw3d_test.npz',
        data_prefix=dict(img='pw3d/'),
        test_mode=True,
        pipeline=test_pipeline),
    h36m=dict(
        type='HumanImageDataset',
        dataset_name='h36m',
        data_root='data/synthetic/',
        bbox_scale_factor=SYNTHETIC_BBOX_SCALE,
        ann_file='h36m/h36m_test.npz',
        data_prefix=dict(img='h36m/'),
        test_mode=True,
        pipeline=test_pipeline),
    mupots=dict(
        type='HumanImageDataset',
        dataset_name='mupots',
        data_root='data/synthetic/',
        bbox_scale_factor=SYNTHETIC_BBOX_SCALE,
        ann_file='mupots/mupots_test.npz',
        data_prefix=dict(img='mupots/'),
        test_mode=True,
        pipeline=test_pipeline),
)
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        type='ConcatDataset',
        # Each test set names itself in its metainfo.
        ignore_keys=['dataset_name'],
        datasets=[test_sets['pw3d'], test_sets['h36m'], test_sets['mupots']]))
test_dataloader = val_dataloader
