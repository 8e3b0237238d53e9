_base_ = ['./hmr_r18_1xb32-8e_h36m-coco_100p_synthetic.py']
train_dataloader = dict(dataset=dict(fraction=0.1))
