"""Constructed study records for the report tests: a three-seed study whose
numbers are chosen so that every cell, difference and verdict can be
worked by hand.

Fine-tuning (HMR, 3DPW PA-MPJPE, lower is better; MuPoTS 3DPCK, higher):

- JointCon (J) beats random init on 3DPW by 20, 19, 21 mm (a clear
  difference) and trails it on MuPoTS by 5, 6, 5.5 points;
- PeCLR differs from random init by +5, -10, +6 mm (noise: signs differ);
- at 10 %, JointCon differs by -1, -10, -2 mm (one sign, but the mean
  4.33 is below twice the std 4.93: noise).

Probes: JointCon's 3D probe is 10 mm better than random init's for every
seed and far above chance (learned); PeCLR's probes differ from random
init's by noise (not at this budget).
"""
import json
import os
import os.path as osp

from mmengine.config import Config

from hpse_bench.study.spec import build_stages

SEEDS = [0, 1, 2]
TEST = {
    # method -> fraction -> metric -> per-seed values
    'random_init': {
        1.0: {'3dpw/pa_mpjpe': [200.0, 210.0, 190.0],
              'mupots/pck_all': [50.0, 52.0, 51.0]},
        0.1: {'3dpw/pa_mpjpe': [230.0, 240.0, 235.0],
              'mupots/pck_all': [40.0, 41.0, 42.0]},
    },
    'jointcon_j': {
        1.0: {'3dpw/pa_mpjpe': [180.0, 191.0, 169.0],
              'mupots/pck_all': [45.0, 46.0, 45.5]},
        0.1: {'3dpw/pa_mpjpe': [229.0, 230.0, 233.0],
              'mupots/pck_all': [40.5, 41.0, 41.5]},
    },
    'peclr': {
        1.0: {'3dpw/pa_mpjpe': [205.0, 200.0, 196.0],
              'mupots/pck_all': [51.0, 50.0, 53.0]},
        0.1: {'3dpw/pa_mpjpe': [231.0, 239.0, 236.0],
              'mupots/pck_all': [41.0, 40.0, 42.0]},
    },
}
PROBE = {
    'random_init': {'probe/3d_pa_mpjpe': [150.0, 152.0, 148.0],
                    'probe/2d_pck': [30.0, 31.0, 29.0],
                    'probe/facing_acc': [40.0, 42.0, 41.0]},
    'jointcon_j': {'probe/3d_pa_mpjpe': [140.0, 142.0, 138.0],
                   'probe/2d_pck': [30.5, 30.0, 29.5],
                   'probe/facing_acc': [41.0, 41.0, 41.0]},
    'peclr': {'probe/3d_pa_mpjpe': [151.0, 149.0, 150.0],
              'probe/2d_pck': [31.0, 29.0, 30.0],
              'probe/facing_acc': [39.0, 43.0, 40.0]},
}
CHANCE = {'probe/3d_pa_mpjpe': 179.0, 'probe/2d_pck': 12.0,
          'probe/facing_acc': 25.0}
BASELINES = {
    'mean_smpl_pose': {'3dpw/pa_mpjpe': 125.0, 'mupots/pck_all': 20.0},
    'train_mean_pose': {'3dpw/pa_mpjpe': 122.0, 'mupots/pck_all': 22.5},
    'oracle_pose_mean_shape': {'3dpw/pa_mpjpe': 30.0,
                               'mupots/pck_all': None},
}
BASELINE_LABELS = {
    'mean_smpl_pose': 'Mean SMPL pose',
    'train_mean_pose': 'Training-set average pose',
    'oracle_pose_mean_shape': 'Oracle pose, mean shape',
}


def curve(seed: int, method: str, fraction: float):
    """An iteration-based validation curve (every 50 iterations) ending at
    the test value: starts 60 mm above it and settles."""
    final = TEST[method][fraction]['3dpw/pa_mpjpe'][seed]
    return [[50, final + 60.0], [100, final + 25.0], [150, final + 8.0],
            [200, final + 2.0], [250, final]]


def study_config(work_root: str, seeds=SEEDS, **extra) -> Config:
    spec = dict(
        study_name='constructed',
        work_root=work_root,
        seeds=list(seeds),
        fractions=[1.0, 0.1],
        baselines=True,
        probes=dict(enable=True),
        pretrain=dict(
            random_init=dict(label='Random init', data='-',
                             annotation='none'),
            jointcon_j=dict(label='JointCon (J)', data='synthetic COCO',
                            config=__file__, annotation='bbox+pose'),
            peclr=dict(label='PeCLR', data='synthetic COCO',
                       config=__file__, annotation='bbox')),
        finetune=dict(hmr=dict(config=__file__)),
        table=dict(columns=[
            dict(key='3dpw/pa_mpjpe', name='3DPW PA-MPJPE',
                 lower_is_better=True),
            dict(key='mupots/pck_all', name='MuPoTS 3DPCK',
                 lower_is_better=False)
        ], curve_metric='3dpw/pa_mpjpe'))
    spec.update(extra)
    return Config(spec)


def _result(stage) -> dict:
    if stage.kind == 'test':
        return dict(metrics={
            k: v[stage.seed]
            for k, v in TEST[stage.method][stage.fraction].items()
        })
    if stage.kind == 'finetune':
        return dict(val_curve={
            '3dpw/pa_mpjpe': curve(stage.seed, stage.method, stage.fraction)
        }, val_curve_unit='iter')
    if stage.kind == 'baseline':
        return dict(rows=BASELINES, labels=BASELINE_LABELS)
    if stage.kind == 'probe':
        values = PROBE[stage.method]
        return dict(metrics={k: v[stage.seed] for k, v in values.items()},
                    chance=dict(CHANCE), meta={})
    return {}


def study_records(cfg: Config, skip=()):
    """``(stages, records)``: every stage finished (those of methods in
    ``skip`` excepted), 100 s per pre-training seed ``s`` + 10 s."""
    stages = build_stages(cfg)
    records = {}
    for s in stages:
        if s.method in skip:
            continue
        records[s.name] = dict(
            stage=s.name, kind=s.kind, method=s.method,
            regressor=s.regressor, fraction=s.fraction, seed=s.seed,
            seconds=100.0 + 10 * s.seed if s.kind == 'pretrain' else 5.0,
            gpus=1, result=_result(s))
    return stages, records


def write_coco(path: str, num_people: int) -> str:
    """A COCO-style person file: ``num_people`` usable people, plus one
    crowd annotation and one without labelled keypoints."""
    anns = [dict(id=i + 1, image_id=1, category_id=1, iscrowd=0,
                 num_keypoints=5, bbox=[0, 0, 10, 10])
            for i in range(num_people)]
    anns.append(dict(id=num_people + 1, image_id=1, category_id=1,
                     iscrowd=1, num_keypoints=5, bbox=[0, 0, 10, 10]))
    anns.append(dict(id=num_people + 2, image_id=1, category_id=1,
                     iscrowd=0, num_keypoints=0, bbox=[0, 0, 10, 10]))
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(dict(images=[dict(id=1, file_name='a.jpg')],
                       annotations=anns,
                       categories=[dict(id=1, name='person')]), f)
    return path
