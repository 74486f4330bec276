"""Leave-one-out of a calibration from its stored Jacobian, checked on a linear fit where
refitting without each observation is exact."""

import numpy as np
import pytest
import yaml

from drysheet.errors import DrysheetInputError
from drysheet.study.cross_validation import Linearisation, cross_validate

TOL = 5.0


def linear_calibration(tmp_path, n=8, seed=3):
    """A straight-line fit y = a + b x to n noisy points, stored like a calibration: the
    Jacobian of the residuals (model - target) / TOL and the covariance s^2 (J^T J)^-1."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, n)
    y = 180 + 20 * x + rng.normal(0, 3, n)
    X = np.column_stack([np.ones(n), x])
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    J = X / TOL
    r = (X @ beta - y) / TOL
    cov = r @ r / (n - 2) * np.linalg.inv(J.T @ J)
    keys = [f"first_discharge/f{i}/a" for i in range(n)]
    doc = {
        "produced_by": "test",
        "residual_definition": "(model - target) / tolerance",
        "parameters": {"a": {"value": float(beta[0])}, "b": {"value": float(beta[1])}},
        "residuals": {
            k: {"model": float(m), "target": float(t), "error": float(m - t)}
            for k, m, t in zip(keys, X @ beta, y, strict=True)
        },
        "covariance": {"parameters": ["a", "b"], "log10": [False, False], "matrix": cov.tolist()},
        "jacobian": {"residual_keys": keys, "tolerance": [TOL] * n, "matrix": J.tolist()},
    }
    path = tmp_path / "cal.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path, X, y, keys


def test_loo_predictions_and_intervals_match_refits_of_a_linear_fit(tmp_path):
    path, X, y, keys = linear_calibration(tmp_path)
    cv = cross_validate(path)
    n, dof = len(y), len(y) - 3
    assert cv.dof == dof
    for i, row in enumerate(cv.rows):
        keep = np.arange(n) != i
        beta = np.linalg.lstsq(X[keep], y[keep], rcond=None)[0]
        assert row.key == keys[i] and row.target == pytest.approx(y[i])
        assert row.prediction == pytest.approx(X[i] @ beta)  # the exact held-out prediction
        s2 = np.sum((X[keep] @ beta - y[keep]) ** 2) / dof
        var = s2 * (1 + X[i] @ np.linalg.inv(X[keep].T @ X[keep]) @ X[i])  # scatter + fit
        t = 2.015048372669157  # Student's t, 95th percentile, 5 degrees of freedom
        assert row.high - row.prediction == pytest.approx(t * np.sqrt(var))
        assert row.prediction - row.low == pytest.approx(t * np.sqrt(var))
    assert cv.n_inside == sum(r.low <= r.target <= r.high for r in cv.rows) >= n - 2
    assert cv.rows[0].observable().key == "loo/" + keys[0]
    assert cv.rows[0].observable().unit == "mAh/g"


def test_too_few_observations_or_no_jacobian(tmp_path):
    path, *_ = linear_calibration(tmp_path, n=3)
    cv = cross_validate(path)
    assert cv.rows == () and "3 observations for 2 free constants" in cv.reason
    doc = yaml.safe_load(path.read_text())
    del doc["jacobian"]
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(DrysheetInputError, match="no 'jacobian' block"):
        cross_validate(path)


def test_a_per_row_log_list_mixes_log_and_linear_residuals(tmp_path):
    """The joint calibration stacks ln(model/target) rows (conductivities) with
    model - target rows: its Jacobian block lists which are logs."""
    path, *_, keys = linear_calibration(tmp_path)
    doc = yaml.safe_load(path.read_text())
    doc["jacobian"]["log"] = [True] + [False] * (len(keys) - 1)
    path.write_text(yaml.safe_dump(doc))
    lin = Linearisation.read(path)
    assert lin.log.tolist() == doc["jacobian"]["log"]
    model = [doc["residuals"][k]["model"] for k in keys[:2]]
    target = [doc["residuals"][k]["target"] for k in keys[:2]]
    assert lin.r[:2] == pytest.approx(
        [np.log(model[0] / target[0]) / TOL, (model[1] - target[1]) / TOL]
    )
    shift = np.array([-1.0, 1.0])
    assert lin.to_value(0, 2.0, shift) == pytest.approx(2.0 * np.exp(TOL * shift))
    assert lin.to_value(1, 190.0, shift) == pytest.approx(190.0 + TOL * shift)
