"""Least squares over batch-evaluated residuals, its Laplace posterior and the check of it.

The machinery of the joint calibration (`drysheet.calibration.joint_fit`), free of
drysheet's model: residuals come from ``evaluate(points) -> rows``, one call per
batch of parameter points, so a caller can spread a whole Jacobian over its workers.

Coordinates. Each parameter lives in a box [a, b] of its internal value u (log10 of
the value where it is fitted in decades, else the value); the fit works in

    z = logit((u - a) / (b - a))                 (`drysheet.model.posterior.box_logit`)

so every z is an admissible value: a positive constant never turns negative and no
step or draw leaves the bounds.

Posterior. Residuals r(z) are in tolerance units (each observation's tolerance is its
1 sigma); the prior is z_k ~ N(0, `PRIOR_SD`^2), the normal closest to the standard
logistic distribution, which is the image of a uniform distribution over [a, b]: a
weakly informative prior over the bounds that keeps directions the data do not pin
finite. Minus the log posterior is the objective

    F(z) = 1/2 ||r(z)||^2 + 1/2 ||z / s_p||^2 = 1/2 ||rho(z)||^2,   rho = [r; z / s_p].

Steps. J = dr/dz by forward differences (one batch of p + 1 points; the step of
parameter k is given in u and divided by du/dz). Levenberg-Marquardt steps

    dz(lambda) = -(A + lambda diag(A))^-1 J_rho^T rho,   A = J_rho^T J_rho,

for several lambda (0 is the Gauss-Newton step) are evaluated as one batch; the best
is taken if it lowers F, and J follows it by Broyden's rank-one update
J += (dr - J dz) dz^T / (dz^T dz) (Broyden, Math. Comp. 19, 577, 1965) instead of a
new finite-difference Jacobian.

Laplace. At the final point z_hat, Sigma = (J^T J + I / s_p^2)^-1 (the Gauss-Newton
Hessian of F; Tierney & Kadane, JASA 81, 82, 1986).

Check by sampling. N draws z_i ~ N(z_hat, Sigma) (`scipy.stats.multivariate_normal`)
are evaluated with the true residuals. Importance weights
w_i ∝ exp(-F(z_i)) / N(z_i; z_hat, Sigma), self-normalised, give the effective sample
size ESS = 1 / sum w_i^2 (Kong, Liu & Wong, JASA 89, 278, 1994): N when the Laplace
posterior is exact (a model linear in z), far below N when it is not; it passes at
ESS >= `ESS_PASS` N. Beside it, each draw's cost rise Delta C = C(z_i) - C(z_hat),
C = 1/2 ||r||^2, against the quadratic prediction of the linearisation,
1/2 ||r_hat + J (z_i - z_hat)||^2 - C(z_hat). Which constants fail: a parameter is
flagged when the draws' excess cost (true minus quadratic rise) grows with its distance
from z_hat (Spearman rank correlation with |z_ik - z_hat_k|, p < `EXCESS_P`), or, with
ESS >= `MIN_ESS_MOMENTS`, when its importance-weighted mean moves by more than
`SHIFT_LIMIT` Laplace sigmas or its weighted sigma is off by more than a factor
`SD_RATIO_LIMIT`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit, logsumexp
from scipy.stats import multivariate_normal, spearmanr

from drysheet.calibration.least_squares import FitParameter
from drysheet.model.posterior import box_expit, box_logit

PRIOR_SD = 1.8  # s_p: sd of the normal closest to the standard logistic (pi / sqrt(3) = 1.81)
# Levenberg-Marquardt damping of the candidate steps (one batch). The Gauss-Newton step (0)
# reaches the mode of the linearisation, where the Laplace posterior is centred; far from a
# quadratic only damped steps pay (a trial of the joint fit on an 8-cycle protocol: 0 and
# 0.1 raised the objective sevenfold, 1 lowered it by 12 %).
LAMBDAS = (0.0, 0.5, 2.0, 8.0)
SHIFT_LIMIT = 0.5  # weighted mean - Laplace mean, in Laplace sigmas, beyond which: flagged
SD_RATIO_LIMIT = 2.0  # weighted sigma / Laplace sigma outside [1/2, 2]: flagged
MIN_ESS_MOMENTS = 5.0  # below this ESS the weighted moments say nothing (not judged)
EXCESS_P = 0.01  # Spearman p-value below which a constant's deviation drives the excess
ESS_PASS = 0.5  # ESS / N at or above which the Laplace posterior passes the check
MIN_CHECK_DRAWS = 8  # fewer draws than this (a spent budget): no check

Evaluate = Callable[[Sequence[np.ndarray]], np.ndarray]  # points z -> residual rows


@dataclass(frozen=True)
class BoxCoordinates:
    """The logit coordinates z of ``parameters`` (module docstring)."""

    parameters: tuple[FitParameter, ...]

    @property
    def lower(self) -> np.ndarray:
        return np.array([p.internal_bounds[0] for p in self.parameters])

    @property
    def upper(self) -> np.ndarray:
        return np.array([p.internal_bounds[1] for p in self.parameters])

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def to_internal(self, values: dict[str, float]) -> np.ndarray:
        """z of ``values`` (every parameter's value, strictly inside its bounds)."""
        u = np.array([p.to_internal(values[p.name]) for p in self.parameters])
        if np.any(u <= self.lower) or np.any(u >= self.upper):
            outside = [
                n
                for n, x, a, b in zip(self.names, u, self.lower, self.upper, strict=True)
                if not a < x < b
            ]
            raise ValueError(f"{outside}: on or outside their bounds (no logit coordinate)")
        return box_logit(u, self.lower, self.upper)

    def to_values(self, z: np.ndarray) -> dict[str, float]:
        u = box_expit(z, self.lower, self.upper)
        return {p.name: p.to_value(x) for p, x in zip(self.parameters, u, strict=True)}

    def du_dz(self, z: np.ndarray) -> np.ndarray:
        """du/dz = (b - a) expit(z) (1 - expit(z))."""
        s = expit(z)
        return (self.upper - self.lower) * s * (1.0 - s)

    def value_sd(self, z: np.ndarray, covariance: np.ndarray) -> dict[str, float]:
        """1 sigma of each value by the delta method: sd_z du/dz dvalue/du."""
        sd_u = np.sqrt(np.clip(np.diag(covariance), 0.0, None)) * self.du_dz(z)
        u = box_expit(z, self.lower, self.upper)
        return {
            p.name: float(s * p.value_per_internal(x))
            for p, s, x in zip(self.parameters, sd_u, u, strict=True)
        }


def objective(r: np.ndarray, z: np.ndarray) -> float:
    """F = 1/2 ||r||^2 + 1/2 ||z / s_p||^2 (minus the log posterior, module docstring)."""
    return 0.5 * float(r @ r) + 0.5 * float(np.sum((z / PRIOR_SD) ** 2))


def cost(r: np.ndarray) -> float:
    """C = 1/2 ||r||^2, the data's part of the objective."""
    return 0.5 * float(r @ r)


def forward_jacobian(
    evaluate: Evaluate, coords: BoxCoordinates, z: np.ndarray, step_u: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(dr/dz, r(z)) by forward differences, all p + 1 points in one batch; the step of
    parameter k is ``step_u[k]`` in u (its internal value), h_k = step_u[k] / (du/dz)_k."""
    h = np.asarray(step_u, dtype=float) / coords.du_dz(z)
    points = [z] + [z + h[k] * np.eye(z.size)[k] for k in range(z.size)]
    rows = np.asarray(evaluate(points), dtype=float)
    return (rows[1:] - rows[0]).T / h, rows[0]


def lm_candidates(
    J: np.ndarray, r: np.ndarray, z: np.ndarray, lambdas: Sequence[float] = LAMBDAS
) -> list[np.ndarray]:
    """z + dz(lambda) for each damping lambda (module docstring), prior rows included."""
    J_rho = np.vstack([J, np.eye(z.size) / PRIOR_SD])
    rho = np.concatenate([r, z / PRIOR_SD])
    A, g = J_rho.T @ J_rho, J_rho.T @ rho
    return [z - np.linalg.solve(A + lam * np.diag(np.diag(A)), g) for lam in lambdas]


def broyden_update(J: np.ndarray, dz: np.ndarray, dr: np.ndarray) -> np.ndarray:
    """J + (dr - J dz) dz^T / (dz^T dz): the secant Jacobian after the step dz."""
    return J + np.outer(dr - J @ dz, dz) / float(dz @ dz)


def laplace_covariance(J: np.ndarray) -> np.ndarray:
    """Sigma = (J^T J + I / s_p^2)^-1, symmetrised."""
    cov = np.linalg.inv(J.T @ J + np.eye(J.shape[1]) / PRIOR_SD**2)
    return 0.5 * (cov + cov.T)


@dataclass
class Step:
    """One Levenberg-Marquardt batch: the objective of each candidate and which was taken."""

    objective_before: float
    candidates: list[float]
    lambdas: list[float]
    accepted: int | None  # index of the candidate taken, None if none lowered F


@dataclass
class ImportanceCheck:
    """The Laplace posterior checked by sampling (module docstring)."""

    draws: np.ndarray  # N x p, z
    residuals: np.ndarray  # N x m
    log_weights: np.ndarray  # normalised: logsumexp = 0
    delta_cost: np.ndarray  # C(z_i) - C(z_hat)
    delta_cost_quadratic: np.ndarray  # the linearisation's prediction of it
    laplace_sd: np.ndarray  # per parameter, z
    weighted_mean_shift: np.ndarray  # (weighted mean - z_hat) / Laplace sd
    weighted_sd_ratio: np.ndarray  # weighted sd / Laplace sd
    excess_rho: np.ndarray  # Spearman rho of the excess cost with |z_ik - z_hat_k|
    excess_p: np.ndarray  # its p-value

    @property
    def weights(self) -> np.ndarray:
        return np.exp(self.log_weights)

    @property
    def ess(self) -> float:
        return float(1.0 / np.sum(self.weights**2))

    @property
    def passed(self) -> bool:
        return self.ess >= ESS_PASS * len(self.log_weights)

    @property
    def moments_judged(self) -> bool:
        return self.ess >= MIN_ESS_MOMENTS

    def flagged(self) -> np.ndarray:
        """Parameters the Laplace posterior fails for (module docstring; boolean)."""
        ratio = self.weighted_sd_ratio
        off = (ratio > SD_RATIO_LIMIT) | (ratio < 1.0 / SD_RATIO_LIMIT)
        moments = ((np.abs(self.weighted_mean_shift) > SHIFT_LIMIT) | off) & self.moments_judged
        return moments | ((self.excess_p < EXCESS_P) & (self.excess_rho > 0))


def importance_check(
    evaluate: Evaluate,
    z_hat: np.ndarray,
    r_hat: np.ndarray,
    J: np.ndarray,
    covariance: np.ndarray,
    n_draws: int,
    seed: int,
) -> ImportanceCheck:
    """Draw ``n_draws`` points from N(z_hat, covariance), evaluate them in one batch and
    weigh them against the true posterior (module docstring)."""
    gauss = multivariate_normal(z_hat, covariance, allow_singular=True)
    draws = np.atleast_2d(gauss.rvs(size=n_draws, random_state=np.random.default_rng(seed)))
    draws = draws.reshape(n_draws, z_hat.size)
    rows = np.asarray(evaluate(list(draws)), dtype=float)
    log_target = np.array([-objective(r, z) for r, z in zip(rows, draws, strict=True)])
    log_w = log_target - gauss.logpdf(draws).reshape(n_draws)
    log_w -= logsumexp(log_w)
    c_hat = cost(r_hat)
    linear = r_hat + (draws - z_hat) @ J.T
    w = np.exp(log_w)
    sd = np.sqrt(np.diag(covariance))
    mean = w @ draws
    wsd = np.sqrt(w @ (draws - mean) ** 2)
    delta = np.array([cost(r) for r in rows]) - c_hat
    delta_quadratic = 0.5 * np.sum(linear**2, axis=1) - c_hat
    excess = [spearmanr(delta - delta_quadratic, np.abs(d)) for d in (draws - z_hat).T]
    return ImportanceCheck(
        draws=draws,
        residuals=rows,
        log_weights=log_w,
        delta_cost=delta,
        delta_cost_quadratic=delta_quadratic,
        laplace_sd=sd,
        weighted_mean_shift=(mean - z_hat) / sd,
        weighted_sd_ratio=wsd / sd,
        excess_rho=np.nan_to_num([e.statistic for e in excess]),
        excess_p=np.nan_to_num([e.pvalue for e in excess], nan=1.0),
    )


@dataclass
class JointResult:
    """What `fit_laplace` produced: the final point, its residuals, Jacobian and Laplace
    covariance, the chain of steps and the sampling check."""

    z_start: np.ndarray
    r_start: np.ndarray
    z: np.ndarray
    residuals: np.ndarray
    jacobian: np.ndarray
    covariance: np.ndarray
    steps: list[Step] = field(default_factory=list)
    check: ImportanceCheck | None = None
    jacobian_at_start: np.ndarray | None = None
    skipped: list[str] = field(default_factory=list)  # batches the deadline left out

    @property
    def cost(self) -> float:
        return cost(self.residuals)

    @property
    def objective(self) -> float:
        return objective(self.residuals, self.z)


def fit_laplace(
    evaluate: Evaluate,
    coords: BoxCoordinates,
    z0: np.ndarray,
    step_u: np.ndarray,
    n_steps: int = 2,
    n_draws: int = 24,
    seed: int = 0,
    lambdas: Sequence[float] = LAMBDAS,
    log: Callable[[str], None] = lambda _: None,
    deadline: float | None = None,
) -> JointResult:
    """From ``z0``: the forward-difference Jacobian, up to ``n_steps`` batches of
    Levenberg-Marquardt candidates (stopping when none lowers the objective), the Laplace
    covariance at the last point and, with ``n_draws`` > 0, its check by sampling.

    ``deadline`` (a `time.time` value) bounds what follows the Jacobian, each point priced
    at the Jacobian batch's wall time per point: a step batch runs only if it and
    `MIN_CHECK_DRAWS` draws fit before the deadline (the check is worth more than a step),
    and the check takes as many of the ``n_draws`` as fit, at least `MIN_CHECK_DRAWS`.
    What was left out is in `JointResult.skipped`."""
    started = time.time()
    J, r = forward_jacobian(evaluate, coords, z0, step_u)
    per_point = (time.time() - started) / (z0.size + 1)
    log(f"Jacobian at the start: cost {cost(r):.4g}, objective {objective(r, z0):.4g}")
    result = JointResult(z0, r, z0, r, J, np.empty(0), jacobian_at_start=J.copy())

    def affordable(n_points: int) -> int:
        """Points that fit before the deadline."""
        if deadline is None:
            return n_points
        return int(min(n_points, max(0.0, (deadline - time.time()) / per_point)))

    for k in range(n_steps):
        if affordable(len(lambdas) + MIN_CHECK_DRAWS) < len(lambdas) + MIN_CHECK_DRAWS:
            result.skipped.append(f"steps {k + 1}-{n_steps}")
            log(f"budget: steps {k + 1}-{n_steps} left out")
            break
        z, r = result.z, result.residuals
        points = lm_candidates(J, r, z, lambdas)
        rows = np.asarray(evaluate(points), dtype=float)
        values = [objective(row, p) for row, p in zip(rows, points, strict=True)]
        best = int(np.argmin(values))
        accepted = best if values[best] < objective(r, z) else None
        result.steps.append(Step(objective(r, z), values, list(lambdas), accepted))
        log(f"step: objective {objective(r, z):.4g} -> candidates {np.round(values, 4)}")
        if accepted is None:
            break
        J = broyden_update(J, points[best] - z, rows[best] - r)
        result.z, result.residuals = points[best], rows[best]
    result.jacobian = J
    result.covariance = laplace_covariance(J)
    n_check = affordable(n_draws)
    if n_check < n_draws:
        result.skipped.append(f"{n_draws - n_check} of the {n_draws} draws of the check")
        log(f"budget: {n_check} of {n_draws} draws")
        n_check = n_check if n_check >= MIN_CHECK_DRAWS else 0
    if n_check > 0:
        result.check = importance_check(
            evaluate, result.z, result.residuals, J, result.covariance, n_check, seed
        )
        log(f"check: ESS {result.check.ess:.3g} of {n_check}")
    return result
