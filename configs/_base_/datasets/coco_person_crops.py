# COCO train2017 person crops for contrastive pre-training (JointCon, PeCLR,
# DetCon): two views of each person crop with SimCLR's appearance
# augmentation and a geometric one that carries the keypoints along.
dataset_type = 'CocoPersonCropDataset'
data_root = 'data/coco/'
input_size = (192, 256)  # (w, h) of the person crop

data_preprocessor = dict(
    type='mmpretrain.SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

# SimCLR's colour distortion and blur (Chen et al., ICML 2020, App. A),
# applied to each view after its geometric transform.
view_pipeline = [
    dict(
        type='mmpretrain.RandomApply',
        transforms=[
            dict(
                type='mmpretrain.ColorJitter',
                brightness=0.8,
                contrast=0.8,
                saturation=0.8,
                hue=0.2)
        ],
        prob=0.8),
    dict(
        type='mmpretrain.RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
    dict(
        type='mmpretrain.GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
]
multi_view = dict(
    type='KeypointMultiView',
    num_views=2,
    rotate_range=30,
    scale_range=(0.75, 1.25),
    translate_ratio=0.1,
    flip_prob=0.5,
    view_pipeline=view_pipeline)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PersonCrop', input_size=input_size, padding=1.25),
    multi_view,
    dict(type='PackMultiViewInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/person_keypoints_train2017.json',
        data_prefix=dict(img='train2017/'),
        # People with at least one labelled keypoint: the crops of COCO's
        # 2D-pose training set, shared by every pre-training on COCO.
        min_keypoints=1,
        pipeline=train_pipeline))
