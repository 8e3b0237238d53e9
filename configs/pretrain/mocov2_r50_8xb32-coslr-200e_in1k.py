# MoCo v2 (Chen et al., arXiv 2003.04297) on ImageNet-1k, mmpretrain's config
# with its data paths (data/imagenet/). The study's ImageNet SSL baselines
# (Choi et al., ICLR 2023, Table 1) use such public weights; this config
# reproduces them.
_base_ = 'mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py'
custom_imports = dict(imports=['hpse_bench'], allow_failed_imports=False)

# Redefined: inherited from a package config it would carry a _scope_ key
# that MMEngine passes on to the function.
train_dataloader = dict(
    collate_fn=dict(_delete_=True, type='default_collate'))
