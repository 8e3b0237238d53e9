"""Closed-form ridge regression with the penalty chosen by k-fold CV.

The read-out of a linear probe: ``min_W,b ||Y - X W - 1 b^T||^2 +
lambda ||W||^2`` with an unpenalised intercept (the targets' and features'
training means are removed first). Its solution, through the eigen-
decomposition of the smaller Gram matrix, serves every candidate ``lambda``
of a fold at once:

- ``d <= n`` (primal): ``Xc^T Xc = V S V^T``, ``W = V (S + lambda)^-1 V^T
  Xc^T Yc``;
- ``d > n`` (dual): ``Xc Xc^T = U S U^T``, ``W = Xc^T U (S + lambda)^-1 U^T
  Yc``.

Both are the same ``W`` (push-through identity); the dual keeps the cost at
``O(n^2 d)`` for wide features such as pooled ResNet maps.
"""
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np

#: Candidate penalties, as multiples of the mean eigenvalue of the Gram
#: matrix (so that the grid follows the features' scale and count).
RELATIVE_LAMBDAS = 10.0**np.linspace(-6.0, 2.0, 17)
DEFAULT_FOLDS = 5


def _as_2d(array: np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(array, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f'{name} must be (N, D), got {array.shape}')
    if not np.isfinite(array).all():
        raise ValueError(f'{name} holds NaN or inf')
    return array


def _spectral_factors(x_train: np.ndarray, y_train: np.ndarray,
                      x_eval: np.ndarray
                      ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(A, s, B)`` such that the ridge prediction at ``x_eval`` for any
    ``lambda`` is ``A diag(1 / (s + lambda)) B`` plus the target mean.

    ``x_*`` and ``y_train`` are centred by the training means beforehand.
    """
    n, d = x_train.shape
    if d <= n:
        s, v = np.linalg.eigh(x_train.T @ x_train)
        return x_eval @ v, s, v.T @ (x_train.T @ y_train)
    s, u = np.linalg.eigh(x_train @ x_train.T)
    return (x_eval @ x_train.T) @ u, s, u.T @ y_train


def _predict_all(a: np.ndarray, s: np.ndarray, b: np.ndarray,
                 lambdas: Sequence[float]) -> np.ndarray:
    """``(L, N, M)`` predictions of the centred model for each lambda."""
    # Eigenvalues of a Gram matrix are >= 0; clip rounding below zero.
    s = np.clip(s, 0.0, None)
    return np.stack([(a / (s + lam)) @ b for lam in lambdas])


def contiguous_folds(num_samples: int, num_folds: int) -> List[np.ndarray]:
    """Validation indices of ``num_folds`` contiguous blocks.

    Contiguous rather than shuffled: neighbouring rows of a video data set
    (consecutive frames of one sequence) are near duplicates, and shuffled
    folds would reward fitting them.
    """
    num_folds = min(num_folds, num_samples)
    if num_folds < 2:
        raise ValueError('cross-validation needs at least 2 samples, got '
                         f'{num_samples}')
    return [f for f in np.array_split(np.arange(num_samples), num_folds)]


@dataclass
class RidgeProbe:
    """A fitted ridge read-out.

    Attributes:
        weights: ``(D, M)``.
        bias: ``(M,)``, the prediction at the training feature mean.
        x_mean: ``(D,)`` training feature mean.
        lam: the penalty used.
        cv_lambdas / cv_errors: candidates and their mean validation squared
            error (summed over outputs, averaged over samples); empty when
            ``lam`` was given.
    """
    weights: np.ndarray
    bias: np.ndarray
    x_mean: np.ndarray
    lam: float
    cv_lambdas: List[float] = field(default_factory=list)
    cv_errors: List[float] = field(default_factory=list)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """``(N, M)`` predictions for ``(N, D)`` features."""
        x = _as_2d(x, 'x')
        return (x - self.x_mean) @ self.weights + self.bias

    @property
    def lambda_at_grid_edge(self) -> bool:
        """Whether CV chose the smallest or largest candidate."""
        return bool(self.cv_lambdas) and self.lam in (self.cv_lambdas[0],
                                                      self.cv_lambdas[-1])


def fit_ridge(x: np.ndarray, y: np.ndarray, lam: float) -> RidgeProbe:
    """Ridge regression with penalty ``lam`` and an unpenalised intercept.

    Args:
        x: ``(N, D)`` features.
        y: ``(N, M)`` (or ``(N,)``) targets.
        lam: penalty, ``> 0``.
    """
    if not lam > 0:
        raise ValueError(f'the ridge penalty must be > 0, got {lam}')
    x, y = _as_2d(x, 'x'), _as_2d(y, 'y')
    if len(x) != len(y):
        raise ValueError(f'{len(x)} feature rows for {len(y)} target rows')
    x_mean, y_mean = x.mean(axis=0), y.mean(axis=0)
    xc, yc = x - x_mean, y - y_mean
    n, d = xc.shape
    if d <= n:
        weights = np.linalg.solve(xc.T @ xc + lam * np.eye(d), xc.T @ yc)
    else:
        weights = xc.T @ np.linalg.solve(xc @ xc.T + lam * np.eye(n), yc)
    return RidgeProbe(weights, y_mean, x_mean, float(lam))


def lambda_grid(x: np.ndarray,
                relative: Sequence[float] = RELATIVE_LAMBDAS) -> List[float]:
    """Penalties ``relative`` times the mean nonzero-size eigenvalue of the
    centred Gram matrix (its trace over ``min(N, D)``)."""
    x = _as_2d(x, 'x')
    xc = x - x.mean(axis=0)
    scale = float((xc**2).sum()) / min(xc.shape)
    scale = scale if scale > 0 else 1.0
    return [scale * float(r) for r in relative]


def cross_validation_errors(x: np.ndarray, y: np.ndarray,
                            lambdas: Sequence[float],
                            folds: Sequence[np.ndarray]) -> np.ndarray:
    """Mean validation squared error of each lambda, ``(L,)``.

    Each fold's model is fitted on the other folds with their own means
    removed; errors are summed over outputs and averaged over all
    validation samples.
    """
    x, y = _as_2d(x, 'x'), _as_2d(y, 'y')
    total = np.zeros(len(lambdas))
    count = 0
    for val in folds:
        train = np.setdiff1d(np.arange(len(x)), val)
        x_mean, y_mean = x[train].mean(axis=0), y[train].mean(axis=0)
        a, s, b = _spectral_factors(x[train] - x_mean, y[train] - y_mean,
                                    x[val] - x_mean)
        preds = _predict_all(a, s, b, lambdas) + y_mean
        total += ((preds - y[val])**2).sum(axis=(1, 2))
        count += len(val)
    return total / count


def fit_ridge_cv(x: np.ndarray,
                 y: np.ndarray,
                 lambdas: Optional[Sequence[float]] = None,
                 num_folds: int = DEFAULT_FOLDS) -> RidgeProbe:
    """Ridge regression with ``lambda`` chosen by k-fold cross-validation
    (contiguous folds, :func:`contiguous_folds`), then refitted on all rows.

    Args:
        x: ``(N, D)`` features.
        y: ``(N, M)`` targets.
        lambdas: candidates; default :func:`lambda_grid`.
        num_folds: folds (fewer when there are fewer samples).
    """
    x, y = _as_2d(x, 'x'), _as_2d(y, 'y')
    if len(x) != len(y):
        raise ValueError(f'{len(x)} feature rows for {len(y)} target rows')
    lambdas = list(lambda_grid(x) if lambdas is None else lambdas)
    errors = cross_validation_errors(x, y, lambdas,
                                     contiguous_folds(len(x), num_folds))
    best = lambdas[int(np.argmin(errors))]
    probe = fit_ridge(x, y, best)
    probe.cv_lambdas = [float(v) for v in lambdas]
    probe.cv_errors = [float(v) for v in errors]
    return probe
