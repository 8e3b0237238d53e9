# occlusion-person_train.py on the embedded data: the generator draws no
# occluders on its studio (h36m) split, so the stand-in is that split behind
# synthetic occluders (SyntheticOcclusion: 1-3 textured boxes or ellipses of
# 15-40 % of the crop side, centred near joints, new ones every epoch);
# labels unchanged, as Occlusion-Person keeps the 3D joints it hides.
# Sizes as h36m_train_synthetic.py.
_base_ = ['./h36m_train_synthetic.py']

input_size = (64, 64)  # as h36m_train_synthetic.py

occlusion_pipeline = [
    dict(type='LoadHumanImage'),
    dict(type='RandomHumanFlip', prob=0.5),
    dict(
        type='RandomHumanBBoxTransform',
        scale_factor=0.25,
        rotate_factor=30,
        rotate_prob=0.4),
    dict(type='TopdownHumanAffine', input_size=input_size),
    dict(
        type='SyntheticOcclusion',
        num_occluders=(1, 3),
        size_range=(0.15, 0.4),
        prob=1.0),
    dict(type='RandomChannelNoise', noise_factor=0.4),
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
