"""Baseline rows of the study's tables, scored by the config's own test
evaluator on the config's own test sets.

- ``mean_smpl_pose``: the mean SMPL pose and shape of
  ``smpl_mean_params.npz``, what an untrained HMR-style regressor predicts.
- ``train_mean_pose``: the training set's average pose, the best constant of
  its kind for each metric. Metrics without rotation alignment (MPJPE, PVE,
  MuPoTS-3D) score the average of the 3D training set's pelvis-relative
  joints (per joint, over the labelled ones) and SMPL meshes: under squared
  joint error this is the best constant, but in the camera frame it averages
  front, side and back views into a narrow skeleton. Procrustes-aligned
  metrics (``pa_*``) therefore score the generalised Procrustes mean of the
  training poses (each pose similarity-aligned to the mean, the mean
  recomputed, until it settles), the constant that these metrics favour;
  scoring the camera-frame average there would make the baseline
  needlessly weak.
- ``oracle_pose_mean_shape``: each test person's ground-truth global
  orientation and body pose with SMPL's template shape (betas 0): what a
  perfect pose estimate scores when the shape is unknown, for scale.

Every baseline person is given its ground-truth 2D joints as its 2D
location (:class:`BaselineMeshPredictor`), which only MuPoTS-3D's
2D matching reads: a constant pose is matched to its own annotation, so
MuPoTS-3D's ``pck_all`` equals ``pck_matched`` for these rows.
"""
import copy
import math
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator

from hpse_bench.evaluation.functional import procrustes_mean
from hpse_bench.registry import EVALUATORS
from hpse_bench.structures.conventions import H36M_PELVIS_ID
from . import data as probe_data
from .baseline_predictor import BaselineMeshPredictor

LABELS = {
    'mean_smpl_pose': 'Mean SMPL pose',
    'train_mean_pose': 'Training-set average pose',
    'oracle_pose_mean_shape': 'Oracle pose, mean shape',
}
NOTES = {
    'mean_smpl_pose': 'pose and shape of the body model folder\'s '
    'smpl_mean_params.npz, the same for every person',
    'train_mean_pose': 'the same pose for every person: for pa_* metrics '
    'the generalised Procrustes mean of the 3D training poses, for the '
    'others the average pelvis-relative 3D joints (and SMPL mesh, for PVE)',
    'oracle_pose_mean_shape': 'ground-truth global orientation and body '
    'pose with betas 0; only test sets whose every person has SMPL labels '
    'are scored, the others are null',
    'mupots': 'MuPoTS-3D matches people in 2D: every baseline is given the '
    'ground-truth 2D joints as its location, so each person is matched to '
    'its own annotation (pck_all = pck_matched)',
}
_SMPL_BATCH = 256


def build_evaluator(cfg: Config) -> Evaluator:
    """The config's test evaluator, built as MMEngine's Runner builds it."""
    spec = copy.deepcopy(cfg.test_evaluator)
    if isinstance(spec, dict) and 'metrics' in spec:
        spec.setdefault('type', 'Evaluator')
        return EVALUATORS.build(spec)
    return Evaluator(spec)


def predictor_kwargs(cfg: Config) -> dict:
    """The body model settings of the config's model."""
    model = cfg.model
    return dict(
        smpl_root=model.get('smpl_root', 'embedded'),
        body_model=model.get('body_model'),
        focal_length=model.get('focal_length', 5000.0),
        data_preprocessor=model.get('data_preprocessor'))


def training_mean_pose(
        cfg: Config,
        predictor: BaselineMeshPredictor,
        max_train_samples: Optional[int] = None
) -> Tuple[np.ndarray, np.ndarray, Optional[np.ndarray], dict]:
    """Average pose of the 3D training rows: pelvis-relative H36M-17 joints
    ``(17, 3)``, their generalised Procrustes mean ``(17, 3)`` and the
    average pelvis-relative SMPL vertices ``(6890, 3)`` (``None`` without
    SMPL labels).

    Returns:
        ``(joints, aligned_joints, vertices, info)``; ``info`` counts the
        rows used.
    """
    kp3d, poses, betas, names = [], [], [], []
    for leaf in probe_data.training_sets(cfg, []):
        rows = probe_data.labelled_rows(leaf, 'has_keypoints3d')
        if len(rows):
            names.append(probe_data.dataset_name(leaf))
        for i in rows[probe_data.evenly_spaced(len(rows), max_train_samples)]:
            info = leaf.get_data_info(int(i))
            kp3d.append(info['keypoints3d'])
            if info['has_smpl'] > 0:
                poses.append(info['smpl_pose'])
                betas.append(info['smpl_betas'])
    if not kp3d:
        raise ValueError('no training set of the config carries 3D '
                         'keypoints; the training-set average pose needs '
                         'them')
    kp3d = np.asarray(kp3d, dtype=np.float64)
    pelvis = kp3d[:, H36M_PELVIS_ID]
    valid = (kp3d[..., 3] > 0) & (pelvis[:, None, 3] > 0)
    if not valid.any(axis=0).all():
        raise ValueError('some joint is never labelled (with its pelvis) in '
                         'the 3D training set; its average is undefined')
    rel = kp3d[..., :3] - pelvis[:, None, :3]
    joints = (rel * valid[..., None]).sum(0) / valid.sum(0)[:, None]
    aligned_joints = procrustes_mean(rel, valid)
    vertices = None
    if poses:
        total = 0.0
        with torch.no_grad():
            for start in range(0, len(poses), _SMPL_BATCH):
                out = predictor.run_body_model(
                    pose=torch.as_tensor(
                        np.asarray(poses[start:start + _SMPL_BATCH]),
                        dtype=torch.float32),
                    betas=torch.as_tensor(
                        np.asarray(betas[start:start + _SMPL_BATCH]),
                        dtype=torch.float32))
                root = out['keypoints_h36m17'][:, H36M_PELVIS_ID:
                                               H36M_PELVIS_ID + 1]
                total = total + (out['vertices'] - root).double().sum(0)
        vertices = (total / len(poses)).numpy()
    return joints, aligned_joints, vertices, dict(
        train_sets=names, num_rows=len(kp3d), num_rows_with_smpl=len(poses))


def _is_aligned_metric(key: str) -> bool:
    """``'3dpw/pa_mpjpe'`` -> True: the metric aligns by a similarity
    transform before it measures."""
    return key.rsplit('/', 1)[-1].startswith('pa_')


def _sets_with_smpl(tests: List) -> List[str]:
    """Names of the test sets in which every person has SMPL labels."""
    return [
        probe_data.dataset_name(d) for d in tests
        if len(probe_data.labelled_rows(d, 'has_smpl')) == len(d)
    ]


def _subset(batch: dict, keep: List[bool]) -> dict:
    return {
        k: [v for v, ok in zip(values, keep) if ok]
        for k, values in batch.items()
    }


def _as_row(values: dict, keys: List[str]) -> Dict[str, Optional[float]]:
    out = {}
    for key in keys:
        value = values.get(key)
        value = None if value is None else float(value)
        out[key] = None if value is None or math.isnan(value) else value
    return out


def _evaluate(cfg: Config, predictors: Dict[str, BaselineMeshPredictor],
              selection: probe_data.Selection,
              only_sets: Dict[str, List[str]], batch_size: int,
              num_workers: int) -> Dict[str, dict]:
    """Each predictor's metrics from its own copy of the config's test
    evaluator, fed as MMEngine's test loop feeds it (``test_step``, then
    ``process``); ``only_sets[name]`` limits a predictor to those sets."""
    evaluators = {name: build_evaluator(cfg) for name in predictors}
    counts = dict.fromkeys(predictors, 0)
    for evaluator in evaluators.values():
        evaluator.dataset_meta = selection.datasets[0].metainfo
    for batch in probe_data.batches(selection, batch_size, num_workers):
        for name, predictor in predictors.items():
            part = copy.deepcopy(batch)
            if name in only_sets:
                part = _subset(part, [
                    s.metainfo['dataset_name'] in only_sets[name]
                    for s in part['data_samples']
                ])
            if not part['data_samples']:
                continue
            with torch.no_grad():
                outputs = predictor.test_step(part)
            evaluators[name].process(outputs, part)
            counts[name] += len(outputs)
    return {
        name: evaluators[name].evaluate(counts[name]) if counts[name] else {}
        for name in predictors
    }


def run_baselines(cfg: Config,
                  batch_size: int = 32,
                  num_workers: int = 0,
                  max_train_samples: Optional[int] = None,
                  max_test_samples: Optional[int] = None,
                  betas_source: str = 'zero') -> dict:
    """Score the three baselines with the config's test evaluator.

    Args:
        cfg: a fine-tune config.
        batch_size / num_workers: test data loading.
        max_train_samples: cap on the 3D training rows averaged (evenly
            spaced); ``None``: all.
        max_test_samples: cap per test set (evenly spaced); ``None``: all
            (the tables' numbers).
        betas_source: the oracle's shape: ``'zero'`` (the row of the
            tables) or ``'ground_truth'`` (a check of the scoring path: it
            scores 0 where labels come from the same body model).

    Returns:
        ``dict(rows, labels, notes, meta)`` (``baselines.json``).
    """
    kwargs = predictor_kwargs(cfg)
    mean = BaselineMeshPredictor(**kwargs).eval()
    joints, aligned_joints, vertices, train_info = training_mean_pose(
        cfg, mean, max_train_samples)
    predictors = {
        'mean_smpl_pose': mean,
        'train_mean_pose': BaselineMeshPredictor(
            keypoints3d=joints, vertices=vertices, **kwargs).eval(),
        'train_aligned_mean_pose': BaselineMeshPredictor(
            keypoints3d=aligned_joints, **kwargs).eval(),
        'oracle_pose_mean_shape': BaselineMeshPredictor(
            pose='ground_truth', betas=betas_source, **kwargs).eval(),
    }
    tests = probe_data.test_sets(cfg)
    with_smpl = _sets_with_smpl(tests)
    selection = probe_data.Selection(tests, [
        probe_data.evenly_spaced(len(d), max_test_samples) for d in tests
    ])
    values = _evaluate(cfg, predictors, selection, {
        'oracle_pose_mean_shape': with_smpl
    }, batch_size, num_workers)
    keys = sorted(values['mean_smpl_pose'])
    aligned = values.pop('train_aligned_mean_pose')
    values['train_mean_pose'].update(
        {k: v
         for k, v in aligned.items() if _is_aligned_metric(k)})
    rows = {name: _as_row(v, keys) for name, v in values.items()}
    if vertices is None:
        for key in keys:
            if key.endswith('/pve'):
                rows['train_mean_pose'][key] = None
    return dict(
        rows=rows,
        labels=dict(LABELS),
        notes=dict(NOTES),
        meta=dict(
            test_sets={n: len(r) for n, r in zip(selection.names,
                                                 selection.rows)},
            oracle_test_sets=with_smpl,
            oracle_betas=betas_source,
            training_mean=train_info,
            smpl_root=kwargs['smpl_root']))
