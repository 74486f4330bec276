"""Bounded multi-start least squares with Jacobian-based uncertainties.

A thin layer over `scipy.optimize.least_squares` (trust-region reflective):
parameters may be fitted in log space, several starts are drawn from a Latin
hypercube (`scipy.stats.qmc`), the best is kept, and the covariance
s^2 (J^T J)^-1 (s^2 = residual variance, or 1 for zero degrees of freedom)
gives 1-sigma uncertainties, mapped back from log space by the delta method.
`at_stored` recomputes the Jacobian and covariance at stored values without a
step (``--covariance-only`` of the calibration modules), and `uncertainty_blocks`
is their YAML record (the ``covariance`` and ``jacobian`` blocks of every
``*_calibration.yaml``, from which posterior draws are made).

Targets known only to within a tolerance (targets.yaml: "read them as +- a
few percent") can be fitted as intervals: with ``interval_onset`` set, every
residual r (in tolerance units) gets a companion

    p(r) = w d softplus((|r| - r_0) / d),   r_0 = interval_onset, w = INTERVAL_WEIGHT,

~0 while |r| < r_0 and rising with slope w beyond it, so the optimiser trades a
little of the sum of squares for keeping every observation inside its
tolerance (a smooth step from least squares toward the minimax fit).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from importlib.metadata import version
from pathlib import Path

import numpy as np
import yaml
from scipy.optimize import OptimizeResult, least_squares
from scipy.special import expit
from scipy.stats import qmc

from drysheet.model.registry import ModelParameter, fitted_by

INTERVAL_WEIGHT = 10.0  # slope w of the interval penalty beyond r_0 (module docstring)
INTERVAL_WIDTH = 0.02  # smoothing width d of the penalty, in tolerance units
COVARIANCE_ONLY_HELP = (
    "keep the stored values; recompute only the Jacobian and covariance there (no refit)"
)


def registry_parameters(fit_name: str) -> list[FitParameter]:
    """`FitParameter`s of what calibration ``fit_name`` (e.g. ``"cell_fit"``) sets, as the
    parameter registry declares them."""
    return [FitParameter.of(p) for p in fitted_by(fit_name)]


def interval_penalty(residuals: np.ndarray, onset: float) -> np.ndarray:
    """The companion residuals p(r) of the interval fit (module docstring)."""
    excess = (np.abs(residuals) - onset) / INTERVAL_WIDTH
    return INTERVAL_WEIGHT * INTERVAL_WIDTH * np.logaddexp(0.0, excess)


def interval_penalty_slope(residuals: np.ndarray, onset: float) -> np.ndarray:
    """dp/dr = w sign(r) expit((|r| - r_0) / d)."""
    excess = (np.abs(residuals) - onset) / INTERVAL_WIDTH
    return INTERVAL_WEIGHT * np.sign(residuals) * expit(excess)


@dataclass(frozen=True)
class FitParameter:
    """One fitted parameter with bounds; ``log`` fits log10 of the value."""

    name: str
    lower: float
    upper: float
    log: bool = False
    unit: str = ""
    meaning: str = ""

    @classmethod
    def of(cls, entry: ModelParameter) -> FitParameter:
        """The fit parameter of a calibrated registry entry (its bounds, scale, unit)."""
        if entry.bounds is None:
            raise ValueError(f"{entry.name!r} is not a calibrated parameter (no bounds)")
        return cls(entry.name, *entry.bounds, log=entry.log, unit=entry.unit, meaning=entry.meaning)

    def to_internal(self, value: float) -> float:
        return float(np.log10(value)) if self.log else float(value)

    def to_value(self, internal: float) -> float:
        return float(10.0**internal) if self.log else float(internal)

    def value_per_internal(self, internal: float) -> float:
        """d value / d internal: value ln 10 in log space, else 1."""
        return self.to_value(internal) * np.log(10.0) if self.log else 1.0

    @property
    def internal_bounds(self) -> tuple[float, float]:
        return self.to_internal(self.lower), self.to_internal(self.upper)


@dataclass
class FitResult:
    """Best-fit values, 1-sigma uncertainties, residuals and cost."""

    parameters: list[FitParameter]
    values: dict[str, float]
    std: dict[str, float]
    residuals: np.ndarray
    cost: float
    n_starts: int
    success: bool
    message: str
    #: s^2 (J^T J)^-1 in the fitted (internal, log10 where ``log``) coordinates
    covariance: np.ndarray | None = None
    #: Jacobian of the residuals at the optimum, internal coordinates
    jacobian: np.ndarray | None = None

    @property
    def correlation(self) -> np.ndarray | None:
        """Correlation matrix of the fitted parameters (NaN where a variance is 0)."""
        if self.covariance is None:
            return None
        sd = np.sqrt(np.clip(np.diag(self.covariance), 0.0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.covariance / np.outer(sd, sd)


def fit(
    residual_fn: Callable[[dict[str, float]], np.ndarray],
    parameters: Sequence[FitParameter],
    *,
    n_starts: int = 8,
    seed: int = 0,
    initial: dict[str, float] | None = None,
    max_nfev: int | None = None,
    xtol: float = 1e-8,
    diff_step: float | None = None,
    range_step: float | None = None,
    interval_onset: float | None = None,
    jac: Callable[[dict[str, float]], np.ndarray] | None = None,
) -> FitResult:
    """Minimise ||residual_fn(values)||^2 over the bounded parameters.

    ``interval_onset`` (r_0, in the residuals' tolerance units) adds the interval
    penalty of the module docstring; the returned residuals, Jacobian, residual
    variance s^2 and covariance are those of the observations alone (the penalty is
    a constraint, not data: it must not make the uncertainties look smaller).

    ``diff_step`` is the relative finite-difference step of the Jacobian; pass
    ~1e-2 when residuals come from an ODE solve (solver noise). ``range_step``
    instead sets forward-difference steps of that fraction of each parameter's
    (internal) bound range: a relative step vanishes where the internal value is 0
    (a log-fitted value of 1). ``xtol`` is scipy's step tolerance (relative, internal
    coordinates): raise it for expensive residuals that only need a few digits.
    ``n_starts`` may be 0 when ``initial`` is given (a single start there).
    ``jac``: d residual / d value (residuals x ``parameters``), exact, in place of finite
    differences (`drysheet.sensitivities`).
    """
    params = list(parameters)
    lo = np.array([p.internal_bounds[0] for p in params])
    hi = np.array([p.internal_bounds[1] for p in params])

    def unpack(z: np.ndarray) -> dict[str, float]:
        return {p.name: p.to_value(zi) for p, zi in zip(params, z, strict=True)}

    last: dict[str, np.ndarray] = {}

    def observed(z: np.ndarray) -> np.ndarray:
        r = np.asarray(residual_fn(unpack(z)), dtype=float)
        if interval_onset is None:
            return r
        return np.concatenate([r, interval_penalty(r, interval_onset)])

    def fun(z: np.ndarray) -> np.ndarray:
        last["z"], last["f"] = z.copy(), observed(z)
        return last["f"]

    def current(z: np.ndarray) -> np.ndarray:
        return last["f"] if np.array_equal(last.get("z"), z) else fun(z)

    def forward_difference(z: np.ndarray) -> np.ndarray:
        return _forward_difference(observed, z, current(z), range_step * (hi - lo), hi)

    def exact(z: np.ndarray) -> np.ndarray:
        return _internal_jacobian(jac(unpack(z)), params, z, current(z), interval_onset)

    scipy_jac = "2-point" if range_step is None else forward_difference

    starts = _starts(params, n_starts, seed, initial)
    best = None
    for z0 in starts:
        res = least_squares(
            fun,
            z0,
            jac=exact if jac is not None else scipy_jac,
            bounds=(lo, hi),
            x_scale="jac",
            max_nfev=max_nfev,
            xtol=xtol,
            diff_step=diff_step,
        )
        if best is None or res.cost < best.cost:
            best = res
    if best is None:
        raise ValueError("fit: no start (n_starts is 0 and no initial values given)")
    n_res = best.fun.size if interval_onset is None else best.fun.size // 2
    return _fit_result(params, unpack(best.x), best, n_res, len(starts))


def at_stored(
    residual_fn: Callable[[dict[str, float]], np.ndarray],
    parameters: Sequence[FitParameter],
    values: dict[str, float],
    **settings: float | None,
) -> FitResult:
    """The `FitResult` at ``values`` without refitting: residuals, the Jacobian by the fit's
    own finite differences (``settings``: those `fit` was given, e.g. ``diff_step``) and
    s^2 (J^T J)^-1. scipy's trust-region loop stops after its first evaluation
    (``max_nfev=1``) before taking a step; the values stay the stored ones (scipy nudges a
    value on a bound inward by 1e-10, relative, to evaluate there)."""
    result = fit(residual_fn, parameters, n_starts=0, initial=values, max_nfev=1, **settings)
    return replace(result, values={p.name: float(values[p.name]) for p in parameters})


def _forward_difference(
    observed: Callable[[np.ndarray], np.ndarray],
    z: np.ndarray,
    f0: np.ndarray,
    step: np.ndarray,
    hi: np.ndarray,
) -> np.ndarray:
    """Forward differences with ``step`` per coordinate (backward at the upper bound)."""
    jac = np.empty((f0.size, z.size))
    for k, h in enumerate(np.where(z + step <= hi, step, -step)):
        dz = np.zeros_like(z)
        dz[k] = h
        jac[:, k] = (observed(z + dz) - f0) / h
    return jac


def _internal_jacobian(
    d_values: np.ndarray,
    params: list[FitParameter],
    z: np.ndarray,
    f: np.ndarray,
    interval_onset: float | None,
) -> np.ndarray:
    """d residual / d value in internal coordinates (z), with the rows of the interval
    penalties p(r) (chain rule; ``f`` the residuals and penalties at z)."""
    per_internal = [p.value_per_internal(zi) for p, zi in zip(params, z, strict=True)]
    jr = np.asarray(d_values, dtype=float) * np.array(per_internal)
    if interval_onset is None:
        return jr
    slope = interval_penalty_slope(f[: len(jr)], interval_onset)
    return np.vstack([jr, slope[:, None] * jr])


def _starts(
    params: list[FitParameter], n_starts: int, seed: int, initial: dict[str, float] | None
) -> np.ndarray:
    """Start points (internal coordinates): ``initial`` (clipped to the bounds) first, then
    ``n_starts`` points of a Latin hypercube over the bounds."""
    lo, hi = np.array([p.internal_bounds for p in params], dtype=float).T
    starts = np.empty((0, len(params)))
    if n_starts > 0:
        starts = qmc.scale(qmc.LatinHypercube(d=len(params), seed=seed).random(n_starts), lo, hi)
    if initial is not None:
        z0 = np.array([p.to_internal(initial[p.name]) for p in params])
        starts = np.vstack([np.clip(z0, lo, hi), starts])
    return starts


def _fit_result(
    params: list[FitParameter],
    values: dict[str, float],
    best: OptimizeResult,
    n_res: int,
    n_starts: int,
) -> FitResult:
    """The `FitResult` of scipy's best solution: covariance s^2 (J^T J)^-1 from the first
    ``n_res`` residuals (the observations, without interval penalties) and 1-sigma values
    mapped back from log10 by the delta method."""
    residuals, jac_observed = best.fun[:n_res], best.jac[:n_res]
    dof = n_res - len(params)
    s2 = float(residuals @ residuals) / dof if dof > 0 else 1.0
    try:
        cov = s2 * np.linalg.pinv(jac_observed.T @ jac_observed)
        cov = 0.5 * (cov + cov.T)  # pinv is symmetric only to rounding
        std_internal = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    except np.linalg.LinAlgError:
        cov, std_internal = None, np.full(len(params), np.nan)
    std = {
        p.name: (values[p.name] * np.log(10.0) * s if p.log else s)
        for p, s in zip(params, std_internal, strict=True)
    }
    return FitResult(
        parameters=params,
        values=values,
        std={k: float(v) for k, v in std.items()},
        residuals=residuals,
        cost=float(best.cost),
        n_starts=n_starts,
        success=bool(best.success),
        message=str(best.message),
        covariance=cov,
        jacobian=jac_observed,
    )


def describe(result: FitResult) -> str:
    """Cost and fitted values with 1-sigma, one parameter per line."""
    lines = [f"cost {result.cost:.4g} after {result.n_starts} starts ({result.message})"]
    width = max(len(p.name) for p in result.parameters)
    lines += [
        f"  {p.name:{width}s} = {result.values[p.name]:.4g} +- {result.std[p.name]:.2g} {p.unit}"
        for p in result.parameters
    ]
    return "\n".join(lines)


def uncertainty_blocks(
    result: FitResult, residual_keys: Sequence[str], tolerance: Sequence[float]
) -> dict:
    """The ``covariance`` (s^2 (J^T J)^-1 in internal coordinates: log10 of the value where
    ``log10``) and ``jacobian`` (d residual / d internal parameter at the optimum, one row
    per ``residual_keys``, each residual divided by its ``tolerance``) blocks of a
    calibration YAML."""
    if result.covariance is None or result.jacobian is None:
        raise ValueError("uncertainty_blocks: the fit has no covariance or Jacobian")
    if not len(residual_keys) == len(tolerance) == result.jacobian.shape[0]:
        raise ValueError(
            f"uncertainty_blocks: {len(residual_keys)} keys and {len(tolerance)} tolerances "
            f"for a Jacobian of {result.jacobian.shape[0]} residuals"
        )
    return {
        "covariance": {
            "space": "internal",
            "parameters": [p.name for p in result.parameters],
            "log10": [p.log for p in result.parameters],
            "matrix": np.asarray(result.covariance, dtype=float).tolist(),
        },
        "jacobian": {
            "residual_keys": list(residual_keys),
            "tolerance": [float(t) for t in tolerance],
            "matrix": np.asarray(result.jacobian, dtype=float).tolist(),
        },
    }


def write_uncertainty(
    source: Path,
    path: Path,
    result: FitResult,
    residual_keys: Sequence[str],
    tolerance: Sequence[float],
) -> None:
    """Write the calibration at ``source`` to ``path`` with its `uncertainty_blocks` and
    1-sigma values replaced by those of ``result`` (everything else, the values included,
    as stored)."""
    doc = yaml.safe_load(source.read_text())
    fitted = [p.name for p in result.parameters]
    if list(doc["parameters"]) != fitted:
        raise ValueError(f"{source}: parameters {list(doc['parameters'])} are not {fitted}")
    for name in fitted:
        doc["parameters"][name]["std"] = result.std[name]
    doc |= uncertainty_blocks(result, residual_keys, tolerance)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))


def calibration_document(
    result: FitResult,
    produced_by: str,
    residual_definition: str,
    residuals: dict[str, dict[str, float]],
    residual_keys: Sequence[str] | None = None,
    tolerance: Sequence[float] | None = None,
) -> dict:
    """The YAML record of a calibration: provenance, parameters with 1-sigma, residuals and,
    given the fitted residuals' keys and tolerances, the `uncertainty_blocks`."""
    doc = {
        "produced_by": produced_by,
        "date": date.today().isoformat(),
        "drysheet_version": version("drysheet"),
        "residual_definition": residual_definition,
        "cost": result.cost,
        "parameters": {
            p.name: {
                "value": result.values[p.name],
                "std": result.std[p.name],
                "bounds": [p.lower, p.upper],
                "unit": p.unit,
                "meaning": p.meaning,
            }
            for p in result.parameters
        },
        "residuals": residuals,
    }
    if residual_keys is not None:
        doc |= uncertainty_blocks(result, residual_keys, tolerance or [1.0] * len(residual_keys))
    return doc


def residual_records(
    model: dict[str, float], targets: dict[str, float], **extra: dict[str, float | str]
) -> dict[str, dict[str, float | str]]:
    """Per observable (sorted): model, target, error = model - target, and each ``extra``
    column (e.g. ``leave_one_out_error``); the ``residuals`` block of a calibration YAML."""
    return {
        k: {
            "model": float(model[k]),
            "target": float(targets[k]),
            "error": float(model[k] - targets[k]),
            **{name: _plain(column[k]) for name, column in extra.items()},
        }
        for k in sorted(targets)
    }


def _plain(value: float | str) -> float | str:
    """A YAML-friendly cell: numbers as float, labels (e.g. a method) as they are."""
    return value if isinstance(value, str) else float(value)


def _cell(value: float | str) -> str:
    return f"{value:>10s}" if isinstance(value, str) else f"{value:10.4g}"


def format_records(records: dict[str, dict[str, float | str]]) -> str:
    """`residual_records` as a fixed-width table, one observable per line."""
    columns = list(next(iter(records.values())))
    width = max(len(k) for k in records)
    lines = [f"{'observable':{width}s} " + " ".join(f"{c[:10]:>10s}" for c in columns)]
    lines += [
        f"{k:{width}s} " + " ".join(_cell(row[c]) for c in columns) for k, row in records.items()
    ]
    return "\n".join(lines)
