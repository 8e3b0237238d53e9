# Occlusion-Person training set (Zhang et al., AdaFuse, IJCV 2021) for the
# 2D-pre-training study: HumanData written by
# tools/data/convert_occlusion_person.py from unrealcv_train.pkl,
#   data/preprocessed_datasets/occlusion_person_train.npz,
# images in data/datasets/occlusion_person/images/. Same pipeline and epoch
# length as h36m_train.py (the dataset is walked through or repeated to
# fill an epoch).
_base_ = ['./h36m_train.py']

occlusion_person_train_dataset = dict(
    type='HumanImageDataset',
    dataset_name='occlusion-person',
    data_root='data/',
    ann_file='preprocessed_datasets/occlusion_person_train.npz',
    data_prefix=dict(img='datasets/occlusion_person/'),
    required_keys=('keypoints3d', ))

train_dataloader = dict(
    dataset=dict(datasets=[occlusion_person_train_dataset]))
