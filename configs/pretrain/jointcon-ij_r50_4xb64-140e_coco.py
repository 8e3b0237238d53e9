# JointCon, variant I+J: positives share the image and the joint class (the
# same joint in the other view).
_base_ = ['./jointcon-j_r50_4xb64-140e_coco.py']

model = dict(positive='image_joint')
