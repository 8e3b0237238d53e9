_base_ = ['./integral_r50_1xb64-120e_h36m-coco_100p.py']
train_dataloader = dict(dataset=dict(fraction=0.1))
