# Cross-dataset evaluation of the 2D-pre-training study (Mills et al., "2D
# Pre-Training for 3D Pose Estimation"): every 3D model on every test set in
# one pass. A ConcatDataset feeds MultiDatasetMetric, which routes each
# sample by its dataset_name; all errors in mm over the H36M-17 joints a set
# annotates, pelvis-aligned (Sun et al.'s protocol for integral regression):
#   'h36m/mpjpe'              Human3.6M protocol 1: MPJPE, S9 and S11, all
#                             cameras (h36m_valid_protocol1.npz);
#   'h36m/pa_mpjpe'           Human3.6M protocol 2: PA-MPJPE, S9 and S11,
#                             frontal camera (h36m_valid_protocol2.npz);
#   'occlusion-person/...'    Occlusion-Person validation split
#                             (tools/data/convert_occlusion_person.py; 15
#                             joints, H36M's head and head top absent);
#   '3dpw/...'                3DPW test; mmhuman3d's file holds SMPL fits
#                             only: SMPLToKeypoints3D makes the H36M-17
#                             joints with the gendered SMPL of smpl_root;
#   'mpi-inf-3dhp/...'        MPI-INF-3DHP test (mmhuman3d's file; its
#                             H36M-17 slots, pelvis included, must be set).
# Every listed file must exist (tools/train.py names a missing one); without
# a data set, restate test_dataloader.dataset.datasets and the routes of
# test_evaluator without it in a child config.
# Validation during training uses protocol 1 alone (the learning curves of
# the study report). The evaluators are lists: MMEngine's Runner reads a
# dict with a 'metrics' key as an Evaluator config, not as a metric.
test_input_size = (256, 256)  # keep equal to the training input_size
test_pipeline = [
    dict(type='LoadHumanImage'),
    dict(type='TopdownHumanAffine', input_size=test_input_size),
    dict(type='PackHumanInputs'),
]
# SMPL folder (mmhuman3d layout) for the joints of SMPL-only test files.
smpl_root = 'data/body_models'
smpl_test_pipeline = [
    dict(type='LoadHumanImage'),
    dict(type='SMPLToKeypoints3D', smpl_root=smpl_root),
    dict(type='TopdownHumanAffine', input_size=test_input_size),
    dict(type='PackHumanInputs'),
]


def _test_set(name,
              ann_file,
              images,
              pipeline=test_pipeline,
              required_keys=('keypoints3d', )):
    return dict(
        type='HumanImageDataset',
        dataset_name=name,
        data_root='data/',
        ann_file=ann_file,
        data_prefix=dict(img=images),
        required_keys=required_keys,
        test_mode=True,
        pipeline=pipeline)


test_sets = dict(
    h36m=_test_set('h36m', 'preprocessed_datasets/h36m_valid_protocol1.npz',
                   'datasets/h36m/'),
    h36m_p2=_test_set('h36m-p2',
                      'preprocessed_datasets/h36m_valid_protocol2.npz',
                      'datasets/h36m/'),
    occlusion_person=_test_set(
        'occlusion-person', 'preprocessed_datasets/occlusion_person_test.npz',
        'datasets/occlusion_person/'),
    pw3d=_test_set(
        'pw3d',
        'preprocessed_datasets/pw3d_test.npz',
        'datasets/pw3d/',
        pipeline=smpl_test_pipeline,
        required_keys=('smpl', )),
    mpi_inf_3dhp=_test_set('mpi-inf-3dhp',
                           'preprocessed_datasets/mpi_inf_3dhp_test.npz',
                           'datasets/mpi_inf_3dhp/'),
)


def _errors(prefix, metrics=('mpjpe', 'pa_mpjpe')):
    return dict(
        type='HumanMeshMetric',
        metrics=list(metrics),
        joint_set='h36m_17',
        prefix=prefix)


val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=test_sets['h36m'])
val_evaluator = [_errors('h36m', ('mpjpe', ))]

test_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ConcatDataset',
        # Each HumanImageDataset names itself in its metainfo.
        ignore_keys=['dataset_name'],
        datasets=[
            test_sets['h36m'], test_sets['h36m_p2'],
            test_sets['occlusion_person'], test_sets['pw3d'],
            test_sets['mpi_inf_3dhp']
        ]))
test_evaluator = [
    dict(
        type='MultiDatasetMetric',
        routes={
            'h36m': _errors('h36m', ('mpjpe', )),
            'h36m-p2': _errors('h36m', ('pa_mpjpe', )),
            'occlusion-person': _errors('occlusion-person'),
            'pw3d': _errors('3dpw'),
            'mpi-inf-3dhp': _errors('mpi-inf-3dhp'),
        })
]
