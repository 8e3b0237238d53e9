# h36m-coco_train.py on the embedded synthetic splits (tools/train.py writes
# them under synthetic_data.root when missing): the same pipeline and mix,
# small batches. Each split folder holds its HumanData file and the images
# that the file's image_path is relative to.
_base_ = ['./h36m-coco_train.py']
# The synthetic boxes are the tight boxes of the visible pixels; real
# HumanData boxes carry SPIN's 1.2 enlargement (mmhuman3d's converters).
SYNTHETIC_BBOX_SCALE = 1.2

# The synthetic test bases leave this key to this file, so that a config may
# list this file and a *_test_synthetic.py side by side.
synthetic_data = dict(root='data/synthetic')

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(datasets=[
        dict(
            type='HumanImageDataset',
            dataset_name='h36m',
            data_root='data/synthetic/',
        bbox_scale_factor=SYNTHETIC_BBOX_SCALE,
            ann_file='h36m/h36m_train.npz',
            data_prefix=dict(img='h36m/')),
        dict(
            type='HumanImageDataset',
            dataset_name='coco',
            data_root='data/synthetic/',
        bbox_scale_factor=SYNTHETIC_BBOX_SCALE,
            ann_file='coco/coco_train.npz',
            data_prefix=dict(img='coco/')),
    ]))
