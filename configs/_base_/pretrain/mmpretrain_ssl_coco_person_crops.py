# What every mmpretrain SSL baseline changes to pre-train on COCO train2017
# person crops as in Choi et al., ICLR 2023 (Tables 1 and 3): the person crop
# (256x192, padding 1.25) replaces the ImageNet image before mmpretrain's
# views, 4 GPUs x 64 crops, and the study's length of pre-training on human
# data (140 epochs, lr x0.1 at epochs 90 and 120). Listed second in
# ``_base_``, after the mmpretrain config whose model, views and optimiser are
# kept; the method config then assembles ``train_pipeline`` and
# ``train_dataloader`` from the pieces below (see simclr_r50_4xb64-140e_coco.py).
# Needs data/coco/ (annotations/person_keypoints_train2017.json, train2017/).
custom_imports = dict(imports=['hpse_bench'], allow_failed_imports=False)

ssl_person_crop = dict(
    type='hpse_bench.PersonCrop', input_size=(192, 256), padding=1.25)
ssl_coco_person_crops = dict(
    type='hpse_bench.CocoPersonCropDataset',
    data_root='data/coco/',
    ann_file='annotations/person_keypoints_train2017.json',
    data_prefix=dict(img='train2017/'),
    # People with at least one labelled keypoint: the crops of COCO's 2D-pose
    # training set, shared by every pre-training on COCO.
    min_keypoints=1)
ssl_batch_size = 64
ssl_param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[90, 120], gamma=0.1)
]
ssl_max_epochs = 140
