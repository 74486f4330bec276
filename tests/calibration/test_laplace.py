"""The joint fit's machinery on toy problems with known answers."""

import numpy as np
import pytest

from drysheet.calibration import laplace
from drysheet.calibration.least_squares import FitParameter

PARAMS = (
    FitParameter("rate", 1e-4, 10.0, log=True),
    FitParameter("share", 0.0, 1.0),
    FitParameter("exponent", 1.0, 8.0),
)
COORDS = laplace.BoxCoordinates(PARAMS)
A = np.array([[2.0, 0.5, 0.0], [0.0, 1.0, -1.0], [1.0, 0.0, 3.0], [0.5, 0.5, 0.5]])
B = np.array([1.0, -2.0, 0.5, 3.0])


def linear_in_z(points):
    """Residuals linear in the internal coordinates: there the Laplace posterior is exact."""
    return [A @ z - B for z in points]


def exact_posterior():
    """Mode and covariance of exp(-1/2 ||A z - b||^2 - 1/2 ||z / s_p||^2)."""
    precision = A.T @ A + np.eye(3) / laplace.PRIOR_SD**2
    return np.linalg.solve(precision, A.T @ B), np.linalg.inv(precision)


def internal(z):
    """u: log10 of the rate, the others as they are."""
    v = COORDS.to_values(z)
    return np.array([np.log10(v["rate"]), v["share"], v["exponent"]])


def test_coordinates_round_trip_and_stay_inside_the_bounds():
    values = {"rate": 0.05, "share": 0.75, "exponent": 3.0}
    z = COORDS.to_internal(values)
    assert COORDS.to_values(z) == pytest.approx(values, rel=1e-12)
    far = COORDS.to_values(np.array([-30.0, 30.0, -30.0]))
    assert far["rate"] >= 1e-4 and far["share"] <= 1.0 and far["exponent"] >= 1.0
    h = 1e-6
    numeric = [
        (internal(z + h * e) - internal(z - h * e))[k] / (2 * h) for k, e in enumerate(np.eye(3))
    ]
    assert COORDS.du_dz(z) == pytest.approx(numeric, rel=1e-6)
    with pytest.raises(ValueError, match="share"):
        COORDS.to_internal({**values, "share": 1.0})


def test_value_sd_is_the_delta_method():
    z = COORDS.to_internal({"rate": 0.05, "share": 0.75, "exponent": 3.0})
    sd = COORDS.value_sd(z, np.diag([1e-4, 4e-4, 9e-4]))
    assert sd["rate"] == pytest.approx(0.05 * np.log(10) * COORDS.du_dz(z)[0] * 1e-2)
    assert sd["share"] == pytest.approx(COORDS.du_dz(z)[1] * 2e-2)


def test_forward_jacobian_is_exact_for_a_linear_model():
    z = np.array([0.3, -1.0, 2.0])
    jac, r = laplace.forward_jacobian(linear_in_z, COORDS, z, np.full(3, 1e-2))
    assert r == pytest.approx(A @ z - B)
    assert jac == pytest.approx(A, rel=1e-7)


def test_a_linear_model_is_fitted_in_one_step_and_its_laplace_posterior_is_exact():
    mode, cov = exact_posterior()
    result = laplace.fit_laplace(
        linear_in_z,
        COORDS,
        np.zeros(3),
        np.full(3, 0.01),
        n_steps=2,
        n_draws=32,
        seed=1,
        lambdas=(0.0, 1.0),
    )
    assert result.steps[0].accepted == 0  # the Gauss-Newton step (lambda 0) is exact
    assert result.z == pytest.approx(mode, abs=1e-8)
    assert result.covariance == pytest.approx(cov, rel=1e-6)
    check = result.check
    assert check.ess == pytest.approx(32.0, rel=1e-8)  # equal weights
    assert check.passed and not check.flagged().any()
    assert check.delta_cost == pytest.approx(check.delta_cost_quadratic, abs=1e-9)


def test_a_constant_at_a_flat_point_fails_the_check_and_is_named():
    """r_1 = 4 z_1^3 has no slope at its minimum: the Jacobian sees only the prior there (sd
    1.8) while the posterior is narrow (|z_1| < ~0.6), like a constant the Jacobian sees
    at a bound. The others are linear."""

    def flat_at_the_mode(points):
        return [np.array([z[0] - 1.0, 4 * z[1] ** 3, z[2] - 0.2 + 0.1 * z[0]]) for z in points]

    result = laplace.fit_laplace(
        flat_at_the_mode, COORDS, np.zeros(3), np.full(3, 1e-4), n_draws=400, seed=2
    )
    check = result.check
    assert not check.passed  # ESS about 130 of 400
    assert check.flagged().tolist() == [False, True, False]
    assert check.weighted_sd_ratio[1] < 0.3


def test_broyden_update_satisfies_the_secant_condition():
    rng = np.random.default_rng(0)
    J, dz, dr = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=4)
    assert laplace.broyden_update(J, dz, dr) @ dz == pytest.approx(dr)


def test_a_spent_budget_leaves_out_the_steps_and_the_check():
    result = laplace.fit_laplace(
        linear_in_z, COORDS, np.zeros(3), np.full(3, 0.01), n_draws=8, deadline=0.0
    )
    assert result.z.tolist() == [0.0, 0.0, 0.0] and result.check is None
    assert result.skipped == ["steps 1-2", "8 of the 8 draws of the check"]
    assert result.covariance == pytest.approx(laplace.laplace_covariance(A), rel=1e-6)
