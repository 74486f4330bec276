"""The cell fit's exact residual Jacobian: scaling, failed cells, one solve per point."""

import numpy as np
import pytest

from drysheet.calibration import cell_fit


def test_exact_residuals_and_jacobian_come_from_one_gradient_solve(monkeypatch):
    keys, scale = cell_fit.residual_keys(), cell_fit.tolerances()
    targets = cell_fit.target_values()
    names = [p.name for p in cell_fit.PARAMETERS]
    failed = "first_ce/coated+C65/sheet-sheet"
    calls = []

    def gradients(pool, calibrated, asked):
        calls.append(dict(calibrated))
        assert asked == names
        model = {k: targets[k] + 1.0 for k in keys} | {failed: float("nan")}
        grad = {k: np.arange(1.0, len(names) + 1) for k in keys}
        return model, grad

    monkeypatch.setattr(cell_fit, "first_cycle_gradients", gradients)
    residuals, jacobian = cell_fit.exact_residual_function(None, {"fixed": 1.0})
    values = {n: 0.5 for n in names}
    r, jac = residuals(values), jacobian(values)
    assert len(calls) == 1 and calls[0]["fixed"] == 1.0
    i = keys.index(failed)
    assert r[i] == cell_fit.FAILED_CELL_RESIDUAL and not jac[i].any()
    ok = [k != failed for k in keys]
    per_tolerance = 1.0 / np.array(scale)[ok]
    assert r[ok] == pytest.approx(per_tolerance)
    assert jac[ok] == pytest.approx(np.outer(per_tolerance, np.arange(1.0, len(names) + 1)))
    jacobian({**values, names[0]: 0.6})
    assert len(calls) == 2
