"""Read-outs that put fine-tuning results in context.

- :mod:`.frozen_probe`: closed-form ridge probes on frozen backbone
  features (3D joints, 2D keypoints, facing direction) against their
  chance levels, the fast second read-out of a pre-trained backbone.
- :mod:`.baselines`: the constant and oracle rows of the study's tables,
  scored by a fine-tune config's own test evaluator.
"""
from .baseline_predictor import BaselineMeshPredictor
from .baselines import LABELS, run_baselines, training_mean_pose
from .features import build_frozen_backbone, pooled_features
from .frozen_probe import PROBES, fit_and_score, run_probe
from .ridge import (DEFAULT_FOLDS, RidgeProbe, contiguous_folds,
                    cross_validation_errors, fit_ridge, fit_ridge_cv,
                    lambda_grid)

__all__ = [
    'BaselineMeshPredictor', 'LABELS', 'run_baselines', 'training_mean_pose',
    'build_frozen_backbone', 'pooled_features', 'PROBES', 'fit_and_score',
    'run_probe', 'DEFAULT_FOLDS', 'RidgeProbe', 'contiguous_folds',
    'cross_validation_errors', 'fit_ridge', 'fit_ridge_cv', 'lambda_grid'
]
