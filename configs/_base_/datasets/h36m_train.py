# Human3.6M training set (subjects S1, S5, S6, S7, S8) for the integral
# regression of the 2D-pre-training study (Mills et al., "2D Pre-Training for
# 3D Pose Estimation"): mmhuman3d's preprocessed HumanData,
#   data/preprocessed_datasets/h36m_train.npz, images in data/datasets/h36m/.
# The study's 3D training sets (this file, occlusion-person_train.py,
# h36m-occlusion-person_train.py) share one MixedHumanDataset layout and one
# epoch length, so that an epoch costs the same whatever the data and the
# 3D-only schedule follows one rule (hpse_bench/study/compute_budget.py).

# Samples per epoch: the rows of h36m_train.npz (SPIN's / mmhuman3d's file).
epoch_samples = 312188
fraction = 1.0
fraction_seed = 0
# Network input (W, H), as Sun et al.'s integral regression; the test sets
# use the same size.
input_size = (256, 256)

# Flip, box scale/rotation and pixel noise as for the other regressors.
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
    data_root='data/',
    ann_file='preprocessed_datasets/h36m_train.npz',
    data_prefix=dict(img='datasets/h36m/'),
    required_keys=('keypoints3d', ))

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    # New draws every epoch (see MixedHumanDataset).
    sampler=dict(type='MixedHumanSampler', shuffle=True),
    dataset=dict(
        type='MixedHumanDataset',
        datasets=[h36m_train_dataset],
        partition=[1.0],
        num_samples=epoch_samples,
        fraction=fraction,
        fraction_seed=fraction_seed,
        pipeline=train_pipeline))
