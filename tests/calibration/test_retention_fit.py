"""Leave-one-out errors of the retention calibration (linearised, e_i / (1 - h_ii))."""

import numpy as np
import pytest

from drysheet.calibration.least_squares import FitParameter, fit
from drysheet.calibration.retention_fit import leave_one_out_errors


def test_linearised_loo_equals_refitting_without_each_point_for_a_linear_model():
    rng = np.random.default_rng(3)
    x = np.linspace(0.0, 1.0, 9)
    y = 2.0 + 3.0 * x + rng.normal(0, 0.2, x.size)
    params = [FitParameter("a", -10, 10), FitParameter("b", -10, 10)]

    def residuals(v, keep=slice(None)):
        return (v["a"] + v["b"] * x - y)[keep]

    full = fit(residuals, params, n_starts=0, initial={"a": 0.0, "b": 0.0})
    loo = leave_one_out_errors(full)
    for i in range(x.size):
        keep = np.arange(x.size) != i
        held = fit(lambda v, k=keep: residuals(v, k), params, n_starts=0, initial=full.values)
        exact = held.values["a"] + held.values["b"] * x[i] - y[i]
        assert loo[i] == pytest.approx(exact, rel=1e-4, abs=1e-6)
    assert np.all(np.abs(loo) >= np.abs(full.residuals))
