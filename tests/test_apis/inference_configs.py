"""The fine-tuning configs of the four regressors, sized for CPUs."""
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FINETUNE = osp.join(REPO, 'configs', 'finetune')
R18 = {'model.backbone.depth': 18, 'model.head.in_channels': 512}
#: name -> (config, cfg_options): ResNet-18 everywhere.
CONFIGS = {
    'HMR': (osp.join(FINETUNE,
                     'hmr_r18_1xb32-8e_h36m-coco_100p_synthetic.py'), None),
    'PARE': (osp.join(FINETUNE, 'pare_r50_1xb64-120e_h36m-coco_100p.py'), R18),
    'PyMAF': (osp.join(FINETUNE,
                       'pymaf_r50_1xb64-120e_h36m-coco_100p.py'), R18),
    'IntegralPoseRegressor':
    (osp.join(FINETUNE, 'integral_r18_1xb16-4e_h36m_synthetic.py'), None),
}
