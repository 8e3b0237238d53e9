# h36m-occlusion-person-pw3d-3dhp_test.py on the embedded synthetic test
# splits, 64x64 crops, small batches. Stand-ins, named by what they are:
#   'h36m'              synthetic h36m test split (studio, one person): both
#                       protocols' metrics on the one split;
#   'occlusion-person'  the same split behind synthetic occluders
#                       (SyntheticOcclusion, fixed per image by its seed),
#                       as the generator draws no occluders for h36m;
#   'pw3d'              synthetic pw3d split (outdoor, some occlusion);
#   'mupots'            synthetic mupots split, one row per person (crowded
#                       outdoor scenes), standing in for MPI-INF-3DHP (the
#                       generator has no 3DHP split).
# Lists are replaced, not merged, when configs inherit: the sets are
# restated.
_base_ = ['./h36m-occlusion-person-pw3d-3dhp_test.py']

test_input_size = (64, 64)  # keep equal to the training input_size
test_pipeline = [
    dict(type='LoadHumanImage'),
    dict(type='TopdownHumanAffine', input_size=test_input_size),
    dict(type='PackHumanInputs'),
]
# Heavy occlusion: 1-3 occluders of 15-40 % of the crop side on every crop.
test_occlusion = dict(
    type='SyntheticOcclusion',
    num_occluders=(1, 3),
    size_range=(0.15, 0.4),
    prob=1.0,
    seed=0)


def _synthetic_set(name, split, ann_file, pipeline):
    return dict(
        type='HumanImageDataset',
        dataset_name=name,
        data_root='data/synthetic/',
        ann_file=ann_file,
        data_prefix=dict(img=split + '/'),
        required_keys=('keypoints3d', ),
        test_mode=True,
        pipeline=pipeline)


test_sets = dict(
    _delete_=True,
    h36m=_synthetic_set('h36m', 'h36m', 'h36m/h36m_test.npz', test_pipeline),
    occlusion_person=_synthetic_set(
        'occlusion-person', 'h36m', 'h36m/h36m_test.npz',
        test_pipeline[:2] + [test_occlusion] + test_pipeline[2:]),
    pw3d=_synthetic_set('pw3d', 'pw3d', 'pw3d/pw3d_test.npz', test_pipeline),
    mupots=_synthetic_set('mupots', 'mupots', 'mupots/mupots_test.npz',
                          test_pipeline),
)


def _errors(prefix, metrics=('mpjpe', 'pa_mpjpe')):
    return dict(
        type='HumanMeshMetric',
        metrics=list(metrics),
        joint_set='h36m_17',
        prefix=prefix)


# Validation (the learning curves): the first 64 people of the h36m split;
# the test run scores them all.
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(test_sets['h36m'], indices=64))
val_evaluator = [_errors('h36m', ('mpjpe', ))]
test_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(datasets=[
        test_sets['h36m'], test_sets['occlusion_person'], test_sets['pw3d'],
        test_sets['mupots']
    ]))
test_evaluator = [
    dict(
        type='MultiDatasetMetric',
        routes={
            'h36m': _errors('h36m'),
            'occlusion-person': _errors('occlusion-person'),
            'pw3d': _errors('3dpw'),
            'mupots': _errors('mupots'),
        })
]
