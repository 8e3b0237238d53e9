# h36m_train.py on the embedded synthetic h36m split (tools/train.py writes
# it under synthetic_data.root when missing), sized for CPUs: 64x64 crops,
# batch 16, 256 samples per epoch (of the split's 600 people).
_base_ = ['./h36m_train.py']

synthetic_data = dict(root='data/synthetic')
epoch_samples = 256
input_size = (64, 64)
train_pipeline = [
    dict(type='LoadHumanImage'),
    dict(type='RandomHumanFlip', prob=0.5),
    dict(
        type='RandomHumanBBoxTransform',
        scale_factor=0.25,
        rotate_factor=30,
        rotate_prob=0.4),
    dict(type='TopdownHumanAffine', input_size=input_size),
    dict(type='RandomChannelNoise', noise_factor=0.4),
    dict(type='PackHumanInputs'),
]
h36m_train_dataset = dict(
    type='HumanImageDataset',
    dataset_name='h36m',
    data_root='data/synthetic/',
    ann_file='h36m/h36m_train.npz',
    data_prefix=dict(img='h36m/'),
    required_keys=('keypoints3d', ),
    pipeline=train_pipeline)

# Each dataset runs its own pipeline, so that the synthetic Occlusion-Person
# stand-in (occlusion-person_train_synthetic.py) can add its occluders.
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        datasets=[h36m_train_dataset],
        num_samples=epoch_samples,
        pipeline=None))
