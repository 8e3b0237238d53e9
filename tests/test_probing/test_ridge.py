"""Closed-form ridge and its cross-validation against independent
formulas."""
import numpy as np
import pytest

from hpse_bench.probing import (contiguous_folds, cross_validation_errors,
                                fit_ridge, fit_ridge_cv, lambda_grid)


def _data(n, d, m, seed=0, noise=0.1, signal=1.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=d) + 2.0
    w = signal * rng.normal(size=(d, m))
    y = x @ w + 5.0 + noise * rng.normal(size=(n, m))
    return x, y


def _normal_equations(x, y, lam):
    """The ridge solution with an unpenalised intercept, from the normal
    equations of the augmented design ``[X, 1]``."""
    a = np.concatenate([x, np.ones((len(x), 1))], axis=1)
    penalty = lam * np.eye(a.shape[1])
    penalty[-1, -1] = 0.0
    coef = np.linalg.solve(a.T @ a + penalty, a.T @ y)
    return coef[:-1], coef[-1]


@pytest.mark.parametrize('n,d', [(40, 6), (12, 30)])
def test_ridge_matches_the_normal_equations(n, d):
    x, y = _data(n, d, 3)
    lam = 0.7
    w, b = _normal_equations(x, y, lam)
    probe = fit_ridge(x, y, lam)
    x_new = _data(5, d, 3, seed=1)[0]
    np.testing.assert_allclose(probe.weights, w, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(probe.predict(x_new), x_new @ w + b,
                               rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize('n,d', [(50, 8), (25, 60)])
def test_cross_validation_matches_brute_force(n, d):
    x, y = _data(n, d, 2, noise=1.0, signal=0.1)
    lambdas = lambda_grid(x)
    folds = contiguous_folds(n, 5)
    brute = np.zeros(len(lambdas))
    for k, lam in enumerate(lambdas):
        sq = 0.0
        for val in folds:
            train = np.array([i for i in range(n) if i not in set(val)])
            w, b = _normal_equations(x[train], y[train], lam)
            sq += ((x[val] @ w + b - y[val])**2).sum()
        brute[k] = sq / n
    np.testing.assert_allclose(
        cross_validation_errors(x, y, lambdas, folds), brute, rtol=1e-7)
    probe = fit_ridge_cv(x, y, lambdas, num_folds=5)
    assert probe.lam == lambdas[int(np.argmin(brute))]
    # Weak signal in noise: the choice is inside the grid, not at an edge.
    assert not probe.lambda_at_grid_edge
    w, b = _normal_equations(x, y, probe.lam)
    np.testing.assert_allclose(probe.weights, w, rtol=1e-7, atol=1e-9)


def test_folds_are_contiguous_and_cover_every_row():
    folds = contiguous_folds(11, 5)
    assert [len(f) for f in folds] == [3, 2, 2, 2, 2]
    assert np.array_equal(np.concatenate(folds), np.arange(11))
    assert len(contiguous_folds(3, 5)) == 3
    with pytest.raises(ValueError, match='at least 2 samples'):
        contiguous_folds(1, 5)


def test_bad_inputs_are_named():
    x, y = _data(10, 3, 1)
    with pytest.raises(ValueError, match='penalty must be > 0'):
        fit_ridge(x, y, 0.0)
    with pytest.raises(ValueError, match='10 feature rows for 9 target'):
        fit_ridge_cv(x, y[:9])
    x[0, 0] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        fit_ridge(x, y, 1.0)
