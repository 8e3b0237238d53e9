# Human3.6M and Occlusion-Person mixed half and half (MixedHumanDataset), the
# joint 3D training set of the 2D-pre-training study. Files as in
# h36m_train.py and occlusion-person_train.py; same epoch length.
_base_ = ['./occlusion-person_train.py']

train_dataloader = dict(
    dataset=dict(
        datasets=[
            {{_base_.h36m_train_dataset}},
            {{_base_.occlusion_person_train_dataset}}
        ],
        partition=[0.5, 0.5]))
