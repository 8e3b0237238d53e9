# COCO-DensePose (Gueler et al., CVPR 2018) person crops for the DensePose
# and part-segmentation pre-training (Choi et al., ICLR 2023, Sec. 5): the
# people of COCO train2014 with DensePose annotation, cropped top-down with
# mmpose's augmentations (flip, half body, box scale/shift/rotation).
# Needs data/coco/annotations/densepose_coco_2014_train.json, data/coco/
# train2014/ and, for flips, DensePose's UV_symmetry_transforms.mat.
dataset_type = 'CocoDensePoseDataset'
data_root = 'data/coco/'
input_size = (192, 256)  # (w, h) of the person crop
# How a flip maps chart coordinates (see DensePoseSymmetry).
uv_symmetry = data_root + 'annotations/UV_symmetry_transforms.mat'

train_pipeline = [
    dict(type='mmpose.LoadImage'),
    dict(type='mmpose.GetBBoxCenterScale'),
    dict(type='DensePoseRandomFlip', uv_symmetry=uv_symmetry),
    dict(type='mmpose.RandomHalfBody'),
    dict(type='mmpose.RandomBBoxTransform'),
    dict(type='DensePoseTopdownAffine', input_size=input_size),
    dict(type='PackDensePoseInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/densepose_coco_2014_train.json',
        data_prefix=dict(img='train2014/'),
        # Only the people with DensePose annotation (the others give no
        # DensePose or part label).
        filter_cfg=dict(densepose_only=True),
        pipeline=train_pipeline))
