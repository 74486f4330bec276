"""The shared least-squares layer: covariance/correlation, single start, range steps."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from drysheet.calibration.least_squares import (
    FitParameter,
    at_stored,
    calibration_document,
    fit,
    uncertainty_blocks,
)

X = np.linspace(0.0, 10.0, 25)


def test_linear_fit_matches_the_analytic_covariance():
    rng = np.random.default_rng(0)
    y = 1.5 + 0.7 * X + rng.normal(0.0, 0.2, X.size)
    params = [FitParameter("a", -10.0, 10.0), FitParameter("b", -10.0, 10.0)]
    result = fit(lambda v: v["a"] + v["b"] * X - y, params, n_starts=2)
    design = np.column_stack([np.ones_like(X), X])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    r = design @ coef - y
    cov = r @ r / (X.size - 2) * np.linalg.inv(design.T @ design)
    assert [result.values["a"], result.values["b"]] == pytest.approx(coef, rel=1e-6)
    assert result.covariance == pytest.approx(cov, rel=1e-4)
    assert result.std["b"] == pytest.approx(np.sqrt(cov[1, 1]), rel=1e-4)
    corr = cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])
    assert result.correlation == pytest.approx(np.array([[1.0, corr], [corr, 1.0]]), rel=1e-4)


def test_single_start_and_range_step_at_log_value_one():
    """A log-fitted parameter started at 1 (internal 0) with a quantised ("solver noise")
    residual: steps of 1 % of the bound range still see the slope."""
    param = FitParameter("k", 0.1, 10.0, log=True)
    result = fit(lambda v: np.round(v["k"] * X - 2.0 * X, 4), [param], n_starts=0,
                 initial={"k": 1.0}, range_step=1e-2)  # fmt: skip
    assert result.n_starts == 1
    assert result.values["k"] == pytest.approx(2.0, rel=1e-3)
    with pytest.raises(ValueError, match="no start"):
        fit(lambda v: X, [param], n_starts=0)


def test_interval_fit_keeps_every_residual_inside_its_tolerance():
    """A constant fitted to 0, 0, 0, 1.8 (tolerance units): least squares leaves the
    outlier at 1.35 tolerances, the interval fit brings every residual inside one."""
    data = np.array([0.0, 0.0, 0.0, 1.8])
    param = [FitParameter("c", -5.0, 5.0)]
    plain = fit(lambda v: v["c"] - data, param, n_starts=0, initial={"c": 0.0})
    interval = fit(lambda v: v["c"] - data, param, n_starts=0, initial={"c": 0.0},
                   interval_onset=0.9)  # fmt: skip
    assert plain.values["c"] == pytest.approx(0.45, abs=1e-6)
    assert np.max(np.abs(plain.residuals)) > 1.3
    assert interval.residuals.shape == data.shape and interval.jacobian.shape == (4, 1)
    assert np.max(np.abs(interval.residuals)) < 1.0
    assert 0.8 < interval.values["c"] < 1.0
    # uncertainty from the observations alone: s^2 (J^T J)^-1 with J = 1, s^2 = sum r^2 / 3
    r = interval.residuals
    assert interval.std["c"] == pytest.approx(np.sqrt(r @ r / 3 / 4), rel=1e-3)


def _linear_problem():
    rng = np.random.default_rng(1)
    y = 2.0 * 10.0 ** (0.05 * X) + rng.normal(0.0, 0.05, X.size)
    params = [FitParameter("a", 0.1, 10.0, log=True), FitParameter("b", -1.0, 1.0)]
    return (lambda v: v["a"] * 10.0 ** (v["b"] * X) - y), params


def test_at_stored_gives_the_fit_covariance_without_moving_the_values():
    residuals, params = _linear_problem()
    fitted = fit(residuals, params, n_starts=2)
    again = at_stored(residuals, params, fitted.values)
    assert again.values == fitted.values
    assert again.residuals == pytest.approx(fitted.residuals, abs=1e-12)
    assert again.jacobian == pytest.approx(fitted.jacobian, rel=1e-4)
    assert again.covariance == pytest.approx(fitted.covariance, rel=1e-4)
    assert again.std == pytest.approx(fitted.std, rel=1e-4)


def test_uncertainty_blocks_round_trip_with_matching_shapes():
    residuals, params = _linear_problem()
    result = fit(residuals, params, n_starts=2)
    keys = [f"y/{i}" for i in range(X.size)]
    doc = calibration_document(result, "test", "model - data", {}, keys, [1.0] * X.size)
    back = yaml.safe_load(yaml.safe_dump(doc, sort_keys=False))
    assert back == doc
    cov, jac = back["covariance"], back["jacobian"]
    assert cov["space"] == "internal" and cov["parameters"] == ["a", "b"]
    assert cov["log10"] == [True, False]
    assert np.array(cov["matrix"]) == pytest.approx(result.covariance)
    assert jac["residual_keys"] == keys and np.shape(jac["matrix"]) == (X.size, 2)
    with pytest.raises(ValueError, match="3 keys"):
        uncertainty_blocks(result, keys[:3], [1.0] * 3)


def test_exact_jacobian_gives_the_finite_difference_fit():
    """A callable Jacobian (d residual / d value) in a log-space, interval fit: the same
    optimum and observation Jacobian (d residual / d log10 k = k ln10 dr/dk) as scipy's
    finite differences, with fewer residual evaluations."""
    data = np.where(X > 8.0, 1.8, 0.0) + 0.3 * X

    def residuals(v):
        calls.append(1)
        return v["k"] * X - data

    param = [FitParameter("k", 0.01, 10.0, log=True)]
    kwargs = {"n_starts": 0, "initial": {"k": 1.0}, "interval_onset": 0.9}
    calls: list[int] = []
    fd = fit(residuals, param, diff_step=1e-8, **kwargs)
    n_fd, calls[:] = len(calls), []
    exact = fit(residuals, param, jac=lambda v: X[:, None], **kwargs)
    assert exact.values["k"] == pytest.approx(fd.values["k"], rel=1e-6)
    k = exact.values["k"]
    assert exact.jacobian[:, 0] == pytest.approx(X * k * np.log(10.0), rel=1e-9)
    assert len(calls) < n_fd
