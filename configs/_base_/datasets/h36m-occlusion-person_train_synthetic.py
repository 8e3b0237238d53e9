# h36m-occlusion-person_train.py on the embedded data: the synthetic h36m
# split with and without synthetic occluders, half and half (see
# occlusion-person_train_synthetic.py). Sizes as h36m_train_synthetic.py.
_base_ = ['./occlusion-person_train_synthetic.py']

train_dataloader = dict(
    dataset=dict(
        datasets=[
            {{_base_.h36m_train_dataset}},
            {{_base_.occlusion_person_train_dataset}},
        ],
        partition=[0.5, 0.5]))
