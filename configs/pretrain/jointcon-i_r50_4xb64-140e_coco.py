# JointCon, variant I: positives are the joints of the same image.
_base_ = ['./jointcon-j_r50_4xb64-140e_coco.py']

model = dict(positive='image')
