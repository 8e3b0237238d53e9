# hmr_r50_1xb64-120e_h36m-coco_100p.py on 10 % of the fine-tuning data (the same
# deterministic subset for every pre-training method: fraction_seed).
_base_ = ['./hmr_r50_1xb64-120e_h36m-coco_100p.py']
train_dataloader = dict(dataset=dict(fraction=0.1))
