"""Cost profiles: on a linear model the profile's 1-sigma range is Gauss-Newton's."""

import numpy as np
import pytest

from drysheet.calibration.identifiability import internal_grid, one_sigma_range, profile_point
from drysheet.calibration.least_squares import FitParameter, fit

X = np.linspace(0.0, 10.0, 25)
Y = 1.5 + 0.7 * X + np.random.default_rng(0).normal(0.0, 0.2, X.size)
PARAMS = [FitParameter("a", -10.0, 10.0), FitParameter("b", -10.0, 10.0)]


def residuals(v):
    return v["a"] + v["b"] * X - Y


def test_profile_of_a_linear_model_crosses_at_the_gauss_newton_sigma():
    result = fit(residuals, PARAMS, n_starts=1)
    z = np.array([result.values["a"], result.values["b"]])
    r = result.residuals
    s2 = float(r @ r) / (X.size - 2)
    sd = result.std["b"]
    grid = z[1] + sd * np.array([-2.0, -1.2, -0.8, 0.0, 0.8, 1.2, 2.0])
    s = [profile_point(residuals, PARAMS, z, result.jacobian, 1, g)[0] for g in grid]
    assert s[3] == pytest.approx(float(r @ r), rel=1e-6)
    lo, hi = one_sigma_range(grid, np.array(s), s2)
    # S is quadratic in b, rising by s2 at b +- sd; linear interpolation between the grid
    # points at 0.8 and 1.2 sd lands within 3 % of it
    assert (hi - z[1]) / sd == pytest.approx(1.0, abs=0.03)
    assert (z[1] - lo) / sd == pytest.approx(1.0, abs=0.03)


def test_one_sigma_range_is_open_where_the_profile_stays_flat():
    z = np.linspace(0.0, 4.0, 5)
    assert one_sigma_range(z, np.array([1.0, 1.1, 1.0, 3.0, 9.0]), 1.0) == (None, 2.5)
    assert one_sigma_range(z, np.array([5.0, 1.0, 1.2, 1.4, 1.5]), 1.0) == (0.75, None)


def test_grid_spans_the_bounds_and_holds_the_optimum():
    p = FitParameter("q", 1.0, 1e4, log=True)
    grid = internal_grid(p, 5, np.log10(1019.0))
    assert grid[0] == 0.0 and grid[-1] == 4.0 and np.log10(1019.0) in grid and len(grid) == 6
