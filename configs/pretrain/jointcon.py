# JointCon as in the study (variant J, ResNet-50, COCO person crops):
#   tools/dist_train.sh configs/pretrain/jointcon.py 4
# It needs COCO under data/coco/ (annotations/person_keypoints_train2017.json
# and train2017/). On the embedded synthetic data run
# configs/pretrain/jointcon-j_r18_1xb8-2e_coco_synthetic.py instead.
_base_ = ['./jointcon-j_r50_4xb64-140e_coco.py']
