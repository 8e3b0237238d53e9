import numpy as np
import pytest

from hpse_bench.evaluation.functional import (AUC_THRESHOLDS_MM, auc_3d,
                                              pck_3d, pck_curve)


def test_thresholds_are_0_to_150_in_5mm_steps():
    assert len(AUC_THRESHOLDS_MM) == 31
    assert AUC_THRESHOLDS_MM[0] == 0 and AUC_THRESHOLDS_MM[-1] == 150
    np.testing.assert_allclose(np.diff(AUC_THRESHOLDS_MM), 5.0)


def test_pck_and_auc_by_hand():
    errors = np.array([[0.0, 4.9, 5.0, 149.9, 150.0, np.inf]])
    # Correct means strictly below 150: 0, 4.9, 5, 149.9.
    assert pck_3d(errors) == pytest.approx(100.0 * 4 / 6)
    # Counts below t: t=0 -> 0, t=5 -> 2, t=10..145 (28 values) -> 3,
    # t=150 -> 4; AUC = mean over the 31 thresholds.
    curve = pck_curve(errors)
    assert curve[0] == 0.0
    assert curve[1] == pytest.approx(100.0 * 2 / 6)
    np.testing.assert_allclose(curve[2:30], 100.0 * 3 / 6)
    assert curve[30] == pytest.approx(100.0 * 4 / 6)
    assert auc_3d(errors) == pytest.approx(100.0 * 90 / (31 * 6))


def test_mask_and_threshold():
    errors = np.array([[10.0, 200.0], [90.0, 120.0]])
    mask = np.array([[1, 0], [1, 1]])
    assert pck_3d(errors, mask) == pytest.approx(100.0)
    assert pck_3d(errors, mask, threshold=100.0) == pytest.approx(200 / 3)
    assert pck_3d(errors) == pytest.approx(75.0)
    with pytest.raises(ValueError, match='no valid joint'):
        pck_3d(errors, np.zeros((2, 2)))


def test_curve_equals_direct_comparison():
    rng = np.random.default_rng(0)
    errors = rng.uniform(0, 200, size=(50, 14))
    errors[0, 0] = 35.0  # exactly on a threshold: not below it
    mask = rng.random((50, 14)) > 0.1
    expected = [100.0 * np.mean(errors[mask] < t) for t in AUC_THRESHOLDS_MM]
    np.testing.assert_allclose(pck_curve(errors, mask), expected)
    assert auc_3d(errors, mask) == pytest.approx(np.mean(expected))
