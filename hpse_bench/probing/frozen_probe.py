"""Linear (ridge) probes on frozen backbone features: the standard
self-supervised evaluation, a fast read-out of what a pre-trained backbone
holds for 3D human pose.

One run: extract :mod:`.features` for the 3D training set and every test
set of a fine-tune config (:mod:`.data`), standardise them by the training
rows, fit one closed-form ridge regression per target with its penalty
chosen by k-fold cross-validation (:mod:`.ridge`), and score each test set
(:mod:`.targets`). The same metrics of the constant predictor (the training
mean; for the facing direction the majority direction) are the chance
level. The 3D probe regresses poses in a canonical frame (each training
pose aligned to the training poses' Procrustes mean), since PA-MPJPE
ignores a pose's rotation; its chance level is that Procrustes mean.
"""
import time
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config

from hpse_bench.evaluation.functional import (pa_mpjpe, procrustes_mean,
                                              similarity_transform)
from hpse_bench.models.regressors.base_regressor import IMAGENET_PREPROCESSOR
from hpse_bench.registry import MODELS
from hpse_bench.utils.compat import cuda_available
from . import data as probe_data
from .features import (POOL_SIZE, backbone_file_id, build_frozen_backbone,
                       pooled_features, standardise)
from .ridge import DEFAULT_FOLDS, RidgeProbe, fit_ridge_cv
from .targets import (FACING_TOLERANCE_DEG, PCK2D_THRESHOLD, facing_accuracy,
                      facing_yaw, joints3d_lsp14_mm, keypoints2d_crop,
                      majority_yaw, pck_2d, sincos_to_yaw, yaw_to_sincos)

Labels = Dict[str, np.ndarray]
#: Probes need at least this many training rows per fold.
MIN_ROWS_PER_FOLD = 2


class ProbeTarget(NamedTuple):
    """One read-out: its targets, its score and its constant predictor.

    ``targets(labels) -> (Y (N, M), trainable rows (N,))``;
    ``score(pred (N, M), labels) -> value or None`` (None: the set has no
    label for it); ``constant(Y of the training rows) -> (M,)``;
    ``canonical(Y of the training rows) -> Y`` (optional): the frame the
    ridge regresses in, for a score that ignores part of the target.
    """
    targets: Callable[[Labels], Tuple[np.ndarray, np.ndarray]]
    score: Callable[[np.ndarray, Labels], Optional[float]]
    constant: Callable[[np.ndarray], np.ndarray]
    canonical: Optional[Callable[[np.ndarray], np.ndarray]] = None


def _joints3d(labels: Labels) -> Tuple[np.ndarray, np.ndarray]:
    joints, mask = joints3d_lsp14_mm(labels['keypoints3d'])
    mask &= labels['has_keypoints3d'][:, None] > 0
    return joints, mask


def _score_3d(pred: np.ndarray, labels: Labels) -> Optional[float]:
    joints, mask = _joints3d(labels)
    if not mask.any():
        return None
    return pa_mpjpe(pred.reshape(joints.shape), joints, mask)


def _procrustes_mean_3d(train_y: np.ndarray) -> np.ndarray:
    """The constant that PA-MPJPE favours: the generalised Procrustes mean
    of the training poses (the training-set average pose of the baselines).
    """
    return procrustes_mean(train_y.reshape(len(train_y), -1, 3)).reshape(-1)


def _canonical_3d(train_y: np.ndarray) -> np.ndarray:
    """Training poses similarity-aligned to their Procrustes mean.

    PA-MPJPE ignores a pose's rotation, scale and position, so the probe
    regresses poses in one canonical frame and reads body pose only; which
    way a person faces is the facing probe's target. Regressing
    camera-frame joints instead asks a linear read-out to rotate limbs by
    the person's heading, which it can only average.
    """
    poses = train_y.reshape(len(train_y), -1, 3)
    mean = procrustes_mean(poses)
    aligned = similarity_transform(poses, np.broadcast_to(mean, poses.shape))
    return aligned.reshape(len(train_y), -1)


def _joints2d(labels: Labels) -> Tuple[np.ndarray, np.ndarray]:
    return keypoints2d_crop(labels['keypoints2d_img'], labels['warp_mat'],
                            labels['crop_size'])


def _score_2d(pred: np.ndarray, labels: Labels) -> Optional[float]:
    joints, mask = _joints2d(labels)
    if not mask.any():
        return None
    return pck_2d(pred.reshape(joints.shape), joints, mask)


def _facing(labels: Labels) -> Tuple[np.ndarray, np.ndarray]:
    yaw, ok = facing_yaw(labels['keypoints3d'])
    return yaw, ok & (labels['has_keypoints3d'] > 0)


def _score_facing(pred: np.ndarray, labels: Labels) -> Optional[float]:
    yaw, ok = _facing(labels)
    if not ok.any():
        return None
    return facing_accuracy(sincos_to_yaw(pred[ok]), yaw[ok])


def _flat_targets(fn):

    def targets(labels: Labels) -> Tuple[np.ndarray, np.ndarray]:
        values, mask = fn(labels)
        return values.reshape(len(values), -1), mask.all(axis=1)

    return targets


def _facing_targets(labels: Labels) -> Tuple[np.ndarray, np.ndarray]:
    yaw, ok = _facing(labels)
    return yaw_to_sincos(yaw), ok


def _majority_sincos(train_y: np.ndarray) -> np.ndarray:
    return yaw_to_sincos(np.array([majority_yaw(sincos_to_yaw(train_y))]))[0]


#: Metric name -> read-out (``probe/<name>`` in the output).
PROBES: Dict[str, ProbeTarget] = {
    '3d_pa_mpjpe':
    ProbeTarget(_flat_targets(_joints3d), _score_3d, _procrustes_mean_3d,
                _canonical_3d),
    '2d_pck':
    ProbeTarget(_flat_targets(_joints2d), _score_2d, lambda y: y.mean(0)),
    'facing_acc':
    ProbeTarget(_facing_targets, _score_facing, _majority_sincos),
}
UNITS = {'3d_pa_mpjpe': 'mm', '2d_pck': '%', 'facing_acc': '%'}


def extract(backbone: torch.nn.Module, preprocessor: torch.nn.Module,
            selection: probe_data.Selection, batch_size: int,
            num_workers: int) -> Tuple[np.ndarray, Labels]:
    """Features ``(N, F)`` and labels of every row of ``selection``, on
    the device of ``preprocessor`` and ``backbone``."""
    feats: List[np.ndarray] = []
    labels: List[Labels] = []
    for batch in probe_data.batches(selection, batch_size, num_workers):
        data = preprocessor(batch, False)
        feats.append(
            pooled_features(backbone, data['inputs']).cpu().numpy())
        labels.append(probe_data.sample_labels(data['data_samples']))
    if not feats:
        raise ValueError('no sample to extract features from')
    merged = {k: np.concatenate([b[k] for b in labels]) for k in labels[0]}
    return np.concatenate(feats).astype(np.float64), merged


def _select_rows(cfg: Config, pipeline: list,
                 max_train_samples: Optional[int]) -> probe_data.Selection:
    """The config's 3D training rows, capped evenly over all of them."""
    sets, rows = [], []
    for leaf in probe_data.training_sets(cfg, pipeline):
        labelled = probe_data.labelled_rows(leaf, 'has_keypoints3d')
        if len(labelled):
            sets.append(leaf)
            rows.append(labelled)
    if not sets:
        raise ValueError('no training set of the config carries 3D '
                         'keypoints (has_keypoints3d); the probes train on '
                         'the 3D part of train_dataloader.dataset')
    owner = np.concatenate([np.full(len(r), k) for k, r in enumerate(rows)])
    flat = np.concatenate(rows)
    keep = probe_data.evenly_spaced(len(flat), max_train_samples)
    return probe_data.Selection(
        sets, [flat[keep][owner[keep] == k] for k in range(len(sets))])


def fit_and_score(train_x: np.ndarray, train_labels: Labels,
                  tests: Dict[str, Tuple[np.ndarray, Labels]],
                  num_folds: int = DEFAULT_FOLDS) -> Dict[str, dict]:
    """Fit every probe on the training rows, score every test set.

    Returns:
        ``{probe name: dict(values={set: v}, chance={set: v}, lam,
        lambda_at_grid_edge, num_train)}``; a value is ``None`` where the
        set has no label for the probe or too few training rows exist.
    """
    out = {}
    for name, probe in PROBES.items():
        y, ok = probe.targets(train_labels)
        rec: dict = dict(num_train=int(ok.sum()), values={}, chance={})
        if ok.sum() < MIN_ROWS_PER_FOLD * 2:
            rec.update(lam=None, note='too few labelled training rows')
            rec['values'] = rec['chance'] = {s: None for s in tests}
            out[name] = rec
            continue
        train_y = y[ok]
        if probe.canonical is not None:
            train_y = probe.canonical(train_y)
        ridge: RidgeProbe = fit_ridge_cv(
            train_x[ok], train_y,
            num_folds=min(num_folds, int(ok.sum()) // MIN_ROWS_PER_FOLD))
        constant = probe.constant(y[ok])
        for set_name, (x, labels) in tests.items():
            rec['values'][set_name] = probe.score(ridge.predict(x), labels)
            rec['chance'][set_name] = probe.score(
                np.repeat(constant[None], len(x), axis=0), labels)
        rec.update(
            lam=ridge.lam, lambda_at_grid_edge=ridge.lambda_at_grid_edge)
        out[name] = rec
    return out


def _test_selections(cfg: Config, max_test_samples: Optional[int]
                     ) -> Dict[str, probe_data.Selection]:
    """Each test set (capped evenly), by its ``dataset_name``."""
    out: Dict[str, probe_data.Selection] = {}
    for dataset in probe_data.test_sets(cfg):
        sel = probe_data.Selection(
            [dataset],
            [probe_data.evenly_spaced(len(dataset), max_test_samples)])
        name = sel.names[0]
        if name in out:
            raise ValueError(f'two test sets are named "{name}"; give each '
                             'a distinct dataset_name')
        out[name] = sel
    return out


def _report(results: Dict[str, dict], head: str) -> Tuple[dict, dict]:
    """``probe/<metric>`` (the headline set) and ``probe/<set>/<metric>``
    values and chance levels."""
    metrics, chance = {}, {}
    for name, rec in results.items():
        metrics[f'probe/{name}'] = rec['values'][head]
        chance[f'probe/{name}'] = rec['chance'][head]
        for set_name in rec['values']:
            metrics[f'probe/{set_name}/{name}'] = rec['values'][set_name]
            chance[f'probe/{set_name}/{name}'] = rec['chance'][set_name]
    return metrics, chance


def _extract_features(
    cfg: Config, checkpoint: Optional[str], seed: int, device: str,
    train_sel: probe_data.Selection,
    test_sels: Dict[str, probe_data.Selection], batch_size: int,
    num_workers: int
) -> Tuple[np.ndarray, Labels, Dict[str, Tuple[np.ndarray, Labels]]]:
    """Features and labels of the training rows and of each test set.

    Args:
        cfg: the fine-tune config (its backbone and data preprocessor).
        checkpoint: exported backbone file, or ``None`` (random init).
        seed: seed of the random initialisation.
        device: where the backbone runs.
        train_sel: the training rows.
        test_sels: test set name -> its rows.
        batch_size: images per forward pass.
        num_workers: data loader workers.

    Returns:
        ``(train_x (N, F), train_labels, {set: (x, labels)})``, features
        not yet standardised.
    """
    backbone = build_frozen_backbone(cfg.model.backbone, checkpoint,
                                     seed).to(device)
    # The config's own normalisation, as fine-tuning would see the images.
    preprocessor = MODELS.build(
        cfg.model.get('data_preprocessor')
        or IMAGENET_PREPROCESSOR).to(device)
    train_x, train_labels = extract(backbone, preprocessor, train_sel,
                                    batch_size, num_workers)
    tests = {
        name: extract(backbone, preprocessor, sel, batch_size, num_workers)
        for name, sel in test_sels.items()
    }
    return train_x, train_labels, tests


def _backbone_meta(cfg: Config, checkpoint: Optional[str], seed: int,
                   device: str, train_x: np.ndarray,
                   train_labels: Labels) -> dict:
    """``probe.json`` meta entries describing the probed backbone and its
    features: which weights, which architecture, which input size."""
    return dict(
        backbone=backbone_file_id(checkpoint),
        random_init=checkpoint is None,
        seed=seed,
        device=device,
        # The config's initialiser is not used (the weights are
        # ``checkpoint``, identified by ``backbone``), so it is not recorded.
        backbone_cfg={
            k: v
            for k, v in dict(cfg.model.backbone).items() if k != 'init_cfg'
        },
        features=f'C4 and C5 average-pooled to {POOL_SIZE}x{POOL_SIZE}, '
        'concatenated, standardised by the training rows',
        feature_dim=int(train_x.shape[1]),
        input_size=[int(v) for v in train_labels['crop_size'][0]])


def _readout_meta(train_sel: probe_data.Selection,
                  test_sels: Dict[str, probe_data.Selection], head: str,
                  results: Dict[str, dict], num_folds: int) -> dict:
    """``probe.json`` meta entries describing the read-out: the sets, the
    ridge fits (penalties, without the per-set values) and the metrics'
    definitions."""
    return dict(
        train_sets=train_sel.names,
        num_train_rows=len(train_sel),
        test_sets={n: len(s) for n, s in test_sels.items()},
        headline_set=head,
        ridge=dict(
            folds=num_folds,
            fold_layout='contiguous',
            probes={
                n: {k: v
                    for k, v in r.items() if k not in ('values', 'chance')}
                for n, r in results.items()
            }),
        definitions=dict(
            units=UNITS,
            pck2d_threshold=f'{PCK2D_THRESHOLD} of the crop side',
            facing_tolerance_deg=FACING_TOLERANCE_DEG,
            chance='training-mean targets (3D joints: their Procrustes '
            'mean); facing: majority direction'))


def run_probe(cfg: Config,
              checkpoint: Optional[str],
              seed: int = 0,
              max_train_samples: Optional[int] = 1000,
              max_test_samples: Optional[int] = None,
              headline: str = 'h36m',
              batch_size: int = 32,
              num_workers: int = 0,
              num_folds: int = DEFAULT_FOLDS) -> dict:
    """Probe the config's backbone (random or from ``checkpoint``).

    Args:
        cfg: a fine-tune config (its ``model.backbone``,
            ``model.data_preprocessor``, train and test data).
        checkpoint: exported backbone file, or ``None`` for the random
            initialisation with ``seed``.
        seed: seed of the random initialisation.
        max_train_samples: cap on the 3D training rows (evenly spaced).
        max_test_samples: cap per test set (evenly spaced); ``None``: all.
        headline: test set (``dataset_name``) whose values are reported
            under ``probe/<metric>``; the first test set when absent.
        batch_size / num_workers: feature extraction.
        num_folds: cross-validation folds.

    Returns:
        ``dict(metrics, chance, meta)`` (``probe.json``).
    """
    wall, cpu = time.perf_counter(), time.process_time()
    train_sel = _select_rows(cfg, probe_data.test_pipeline_of(cfg),
                             max_train_samples)
    test_sels = _test_selections(cfg, max_test_samples)
    # Features on the GPU when there is one; the read-out is numpy.
    device = 'cuda' if cuda_available() else 'cpu'
    train_x, train_labels, tests = _extract_features(
        cfg, checkpoint, seed, device, train_sel, test_sels, batch_size,
        num_workers)
    features_cpu = time.process_time() - cpu
    train_x, test_x = standardise(train_x, [x for x, _ in tests.values()])
    results = fit_and_score(
        train_x, train_labels,
        {n: (x, t[1])
         for (n, t), x in zip(tests.items(), test_x)}, num_folds)

    head = headline if headline in test_sels else next(iter(test_sels))
    metrics, chance = _report(results, head)
    meta = dict(
        **_backbone_meta(cfg, checkpoint, seed, device, train_x,
                         train_labels),
        **_readout_meta(train_sel, test_sels, head, results, num_folds),
        seconds=dict(
            wall=round(time.perf_counter() - wall, 3),
            cpu=round(time.process_time() - cpu, 3),
            features_cpu=round(features_cpu, 3)))
    return dict(metrics=metrics, chance=chance, meta=meta)
