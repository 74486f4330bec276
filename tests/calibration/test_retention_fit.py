"""Leave-one-out errors of the retention calibration (linearised, e_i / (1 - h_ii)) and
the leverages that decide where it refits instead."""

import numpy as np
import pytest

from drysheet.calibration.least_squares import (
    FitParameter,
    fit,
    format_records,
    residual_records,
)
from drysheet.calibration.retention_fit import (
    cells_to_refit,
    leave_one_out_errors,
    leverages,
)


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


def test_a_point_that_alone_fixes_a_parameter_has_leverage_one():
    # c only moves the last point: without it c is undetermined, and the linearised
    # LOO error e / (1 - h) of that point is meaningless (h = 1)
    x = np.linspace(0.0, 1.0, 6)
    y = np.array([1.0, 1.9, 3.2, 3.9, 5.1, 9.0])
    params = [FitParameter(n, -10, 10) for n in ("a", "b", "c")]
    last = (np.arange(x.size) == x.size - 1).astype(float)
    full = fit(
        lambda v: v["a"] + v["b"] * x + v["c"] * last - y,
        params,
        n_starts=0,
        initial={"a": 0.0, "b": 0.0, "c": 0.0},
    )
    h = leverages(full)
    assert h.sum() == pytest.approx(3.0, abs=1e-6)  # trace of the hat matrix = parameters
    assert h[-1] == pytest.approx(1.0, abs=1e-6)
    assert np.all(h[:-1] < 0.7)


def test_residual_table_keeps_method_labels():
    records = residual_records(
        {"k": 1.0}, {"k": 2.0}, leverage={"k": 0.9}, loo_method={"k": "refit"}
    )
    assert records["k"] == {
        "model": 1.0,
        "target": 2.0,
        "error": -1.0,
        "leverage": 0.9,
        "loo_method": "refit",
    }
    assert "refit" in format_records(records)


def test_exact_loo_refits_the_flagged_cells_or_all():
    keys, h = ["a", "b", "c"], np.array([0.2, 0.9, 0.51])
    assert cells_to_refit(keys, h, "none") == []
    assert cells_to_refit(keys, h, "flagged") == ["b", "c"]
    assert cells_to_refit(keys, h, "all") == keys
    with pytest.raises(ValueError, match="flagged"):
        cells_to_refit(keys, h, "some")
