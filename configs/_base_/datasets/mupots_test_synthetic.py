# mupots_test.py on the embedded synthetic split (written by tools/train.py or
# tools/test.py from the synthetic_data key, which a config gets from
# h36m-coco_train_synthetic.py or sets itself): same pipeline and metric,
# small batches.
_base_ = ['./mupots_test.py']

val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        data_root='data/synthetic/',
        ann_file='mupots/mupots_test.npz',
        data_prefix=dict(img='mupots/')))
test_dataloader = val_dataloader
