# SPIN (Kolotouros et al., ICCV 2019): HMR with in-the-loop SMPLify.
_base_ = ['./hmr_r50_1xb64-120e_h36m-coco_100p.py']
model = dict(use_smplify=True)
