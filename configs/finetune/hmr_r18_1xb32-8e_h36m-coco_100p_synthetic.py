# hmr_r50_1xb64-120e_h36m-coco_100p.py on the embedded synthetic data (created on
# first use), sized for CPUs: ResNet-18, 128x128 crops, 8 epochs (x0.1 at 6),
# validation every epoch so that the learning curves come out of the log.
_base_ = ['./hmr_r50_1xb64-120e_h36m-coco_100p.py']
# The synthetic boxes are the tight boxes of the visible pixels; real
# HumanData boxes carry SPIN's 1.2 enlargement (mmhuman3d's converters).
SYNTHETIC_BBOX_SCALE = 1.2

synthetic_data = dict(root='data/synthetic')
input_size = (128, 128)
model = dict(backbone=dict(depth=18), head=dict(in_channels=512))

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
test_pipeline = [
    dict(type='LoadHumanImage'),
    dict(type='TopdownHumanAffine', input_size=input_size),
    dict(type='PackHumanInputs', optional_meta_keys=('gender', 'sequence')),
]


def _split(name, ann_file, folder, pipeline=None, test_mode=False):
    out = dict(
        type='HumanImageDataset',
        dataset_name=name,
        data_root='data/synthetic/',
        bbox_scale_factor=SYNTHETIC_BBOX_SCALE,
        ann_file=ann_file,
        data_prefix=dict(img=folder),
        test_mode=test_mode)
    if pipeline is not None:
        out['pipeline'] = pipeline
    return out


train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        datasets=[
            _split('h36m', 'h36m/h36m_train.npz', 'h36m/'),
            _split('coco', 'coco/coco_train.npz', 'coco/'),
        ],
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        type='ConcatDataset',
        ignore_keys=['dataset_name'],
        datasets=[
        _split('pw3d', 'pw3d/pw3d_test.npz', 'pw3d/', test_pipeline, True),
        _split('h36m', 'h36m/h36m_test.npz', 'h36m/', test_pipeline, True),
        _split('mupots', 'mupots/mupots_test.npz', 'mupots/', test_pipeline,
               True),
    ]))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=3e-4))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[6], gamma=0.1)
]
train_cfg = dict(max_epochs=8, val_interval=1)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=8, save_best=None, max_keep_ckpts=1))
