# SimCLR (Chen et al., ICML 2020) on ImageNet-1k, mmpretrain's config
# unchanged (its data paths: data/imagenet/). The study's ImageNet SSL
# baselines (Choi et al., ICLR 2023, Table 1) use such public weights; this
# config reproduces them.
_base_ = 'mmpretrain::simclr/simclr_resnet50_8xb32-coslr-200e_in1k.py'
custom_imports = dict(imports=['hpse_bench'], allow_failed_imports=False)
