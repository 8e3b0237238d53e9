# integral_r18w16_1xb32-500it_h36m-64x64_synthetic.py trained on the synthetic
# Occlusion-Person stand-in: the h36m split behind 1-3 synthetic occluders
# of 15-40 % of the crop side on every crop.
_base_ = ['./integral_r18w16_1xb32-500it_h36m-64x64_synthetic.py']

occlusion_pipeline = [
    dict(type='LoadHumanImage'),
    dict(type='RandomHumanFlip', prob=0.5),
    dict(type='TopdownHumanAffine', input_size={{_base_.input_size}}),
    dict(
        type='SyntheticOcclusion',
        num_occluders=(1, 3),
        size_range=(0.15, 0.4),
        prob=1.0),
    dict(type='PackHumanInputs'),
]
occlusion_person_train_dataset = dict(
    type='HumanImageDataset',
    dataset_name='occlusion-person',
    data_root='data/synthetic/',
    ann_file='h36m/h36m_train.npz',
    data_prefix=dict(img='h36m/'),
    required_keys=('keypoints3d', ),
    pipeline=occlusion_pipeline)
train_dataloader = dict(
    dataset=dict(datasets=[occlusion_person_train_dataset]))
