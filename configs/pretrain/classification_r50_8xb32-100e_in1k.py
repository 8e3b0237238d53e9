# ImageNet-1k classification (ResNet-50, He et al., CVPR 2016): the study's
# "ImageNet classification" pre-training (Choi et al., ICLR 2023, Table 3),
# mmpretrain's config with its data paths (data/imagenet/). The study uses the
# public weights such a run produces; this config reproduces them.
# tools/dist_train.sh configs/pretrain/classification_r50_8xb32-100e_in1k.py 8
_base_ = 'mmpretrain::resnet/resnet50_8xb32_in1k.py'
custom_imports = dict(imports=['hpse_bench'], allow_failed_imports=False)

# Redefined: inherited from a package config it would carry a _scope_ key
# that MMEngine passes on to the function.
train_dataloader = dict(
    collate_fn=dict(_delete_=True, type='default_collate'))
