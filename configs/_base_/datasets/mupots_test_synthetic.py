# mupots_test.py on the embedded synthetic split (written by tools/train.py or
# tools/test.py from the synthetic_data key, which a config gets from
# h36m-coco_train_synthetic.py or sets itself): same pipeline and metric,
# small batches.
_base_ = ['./mupots_test.py']
# The synthetic boxes are the tight boxes of the visible pixels; real
# HumanData boxes carry SPIN's 1.2 enlargement (mmhuman3d's converters).
SYNTHETIC_BBOX_SCALE = 1.2

val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        data_root='data/synthetic/',
        bbox_scale_factor=SYNTHETIC_BBOX_SCALE,
        ann_file='mupots/mupots_test.npz',
        data_prefix=dict(img='mupots/')))
test_dataloader = val_dataloader
