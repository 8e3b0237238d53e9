# The second study's integral regression (integral_r50_1xb64-120e_h36m.py)
# at the default study's size (configs/study/mills_2d_pretrain_synthetic.py):
# a quarter-width ResNet-18 (base and stem width 16), 64x64 crops, batch 32,
# 500 iterations on the synthetic h36m split, validation every 100
# iterations on 64 people of its test split. The model (3 deconvolutions,
# soft-argmax over a joint volume) and the losses are the recipe's, scaled
# with the input: the deconvolutions narrowed with the backbone (32
# channels) and the volume 16x16x16 for a 64x64 crop as 64x64x64 is for
# 256x256 (64 depth bins made the 1088-channel volume cost 3x the rest of
# the step: 0.25 vs 0.075 s per iteration, measured). As in the HMR
# fine-tune of the first study, a run this short uses Adam at 1e-3 with a
# 100-iteration warm-up, gradient clipping at norm 5, cosine decay, and
# flips as the only augmentation.
_base_ = ['./integral_r18_1xb16-4e_h36m_synthetic.py']
WIDTH = 16
max_iters = 500
input_size = (64, 64)

model = dict(
    backbone=dict(base_channels=WIDTH, stem_channels=WIDTH),
    head=dict(
        in_channels=8 * WIDTH, deconv_channels=(32, 32, 32), depth_bins=16))

train_pipeline = [
    dict(type='LoadHumanImage'),
    dict(type='RandomHumanFlip', prob=0.5),
    dict(type='TopdownHumanAffine', input_size=input_size),
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
# One thread per run (the study runs runs side by side): no loader workers.
# An "epoch" of the mixed dataset is 3200 fresh draws; the loop counts
# iterations.
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    dataset=dict(datasets=[h36m_train_dataset], num_samples=3200))
val_dataloader = dict(num_workers=0)
test_dataloader = dict(num_workers=0)

optim_wrapper = dict(optimizer=dict(lr=1e-3), clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(
        type='CosineAnnealingLR',
        by_epoch=False,
        begin=100,
        end=max_iters,
        T_max=max_iters - 100,
        eta_min=1e-5),
]
train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=100)
log_processor = dict(by_epoch=False)
default_hooks = dict(
    logger=dict(interval=50, log_metric_by_epoch=False),
    checkpoint=dict(
        by_epoch=False, interval=max_iters, save_best=None,
        max_keep_ckpts=1))
