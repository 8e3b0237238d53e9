# 2D pose pre-training on Leeds Sports Pose (Mills et al., "2D Pre-Training
# for 3D Pose Estimation"): the MPII config's model, crops and schedule
# (256x256, 140 epochs, Adam lr 1e-3, x0.1 at 90 and 120) with LSP's 14
# joints (conventions.LSP_14), read by hpse_bench's LspDataset.
#   tools/dist_train.sh \
#       configs/pretrain/pose2d-simplebaseline_r50_4xb64-140e_lsp-256x256.py 4
# Needs data/lsp/annotations/lsp_{train,test}.json and data/lsp/images/,
# written by tools/data/convert_lsp.py (train: LSP images 1-1000, plus the
# 10000 LSP-extended images when converted with --lspet; test: LSP images
# 1001-2000).
#
# Validation (mmpose's PCKAccuracy): LSP has no head boxes, so
# - 'PCKh': PCKh@0.5 with the head segment (neck to head top) as the head
#   size (LspDataset's head_size), the LSP reading of MPII's PCKh;
# - 'PCK': PCK@0.2 of the person box (the longer side of the tight box of
#   the joints).
_base_ = ['./pose2d-simplebaseline_r50_4xb64-140e_mpii-256x256.py']

dataset_type = 'hpse_bench.LspDataset'
data_root = 'data/lsp/'
codec = dict(
    type='MSRAHeatmap', input_size=(256, 256), heatmap_size=(64, 64), sigma=2)

model = dict(head=dict(out_channels=14))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        data_mode='topdown',
        ann_file='annotations/lsp_train.json',
        data_prefix=dict(img='images/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        data_mode='topdown',
        ann_file='annotations/lsp_test.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='PCKAccuracy', thr=0.5, norm_item='head'),
    dict(type='PCKAccuracy', thr=0.2, norm_item='bbox'),
]
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='PCKh', rule='greater'))
