# Fine-tuning data of Choi et al., ICLR 2023: Human3.6M (3D keypoints, SMPL)
# mixed with COCO (2D keypoints; EFT SMPL fits), at 100 / 60 / 30 / 10 %.
# Files are mmhuman3d's preprocessed HumanData under data/:
#   data/preprocessed_datasets/{h36m_train.npz, eft_coco_all.npz}
#   data/datasets/{h36m, coco}/...   (the files' image_path is relative here)
# For COCO with 2D keypoints only: preprocessed_datasets/coco_2014_train.npz.

# Share of each training set, the same people for every pre-training method
# (nested subsets: 0.1 within 0.3 within 0.6). Change it in a child config
# with train_dataloader = dict(dataset=dict(fraction=0.1)).
fraction = 1.0
fraction_seed = 0
# Network input (W, H); the test sets use the same size.
input_size = (224, 224)

# SPIN/PARE augmentation: flip 0.5, scale 0.25, rotation 30 degrees
# (zeroed with probability 0.6), per-channel pixel noise 0.4.
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
    data_prefix=dict(img='datasets/h36m/'))
coco_train_dataset = dict(
    type='HumanImageDataset',
    dataset_name='coco',
    data_root='data/',
    ann_file='preprocessed_datasets/eft_coco_all.npz',
    data_prefix=dict(img='datasets/coco/'))

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    # New Human3.6M/COCO draws each epoch (DefaultSampler would repeat
    # epoch 0's draw).
    sampler=dict(type='MixedHumanSampler', shuffle=True),
    dataset=dict(
        type='MixedHumanDataset',
        datasets=[h36m_train_dataset, coco_train_dataset],
        partition=[0.6, 0.4],
        fraction=fraction,
        fraction_seed=fraction_seed,
        pipeline=train_pipeline))
