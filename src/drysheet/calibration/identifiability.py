"""How well the first-cycle data pin the worst-identified constants: cost profiles.

Run ``python -m drysheet.calibration.identifiability`` to profile the stored
first-cycle calibration (``drysheet/data/cell_calibration.yaml``): by default
its constants with a Gauss-Newton 1-sigma larger than their value,
``--parameters NAME ...`` to choose. It appends to
``docs/identifiability_profiles.csv`` (one row per profile point, written as
it finishes, with the calibration it profiles: a stopped run resumes where it
stopped) and rewrites the table of ``docs/identifiability.md`` from the CSV
(``--table-only`` does only that).

For a constant theta_k held at each point of a grid over its bounds (internal
coordinates: log10 where the fit is in log10), the other constants are
re-optimised and the profile is the observations' sum of squares

    S_k(theta_k) = min over theta_(-k) of sum_i r_i^2,   r_i = (model_i - target_i) / tol_i,

without the interval penalty (the penalty is a constraint, not data; the
Gauss-Newton covariance s^2 (J^T J)^-1 is of the same sum). With the residual
variance s^2 = S_min / (n - p) of the fit, Delta chi^2 = Delta S / s^2, so the
profile's 1-sigma range is where S_k rises by s^2 above the profile's minimum
(Delta chi^2 = 1; Venzon & Moolgavkar, Appl. Stat. 37 (1988) 87; for a linear
model it is exactly the Gauss-Newton theta_k +- sigma_k).

The budget is modest: the re-optimisation (scipy's trust-region reflective)
takes at most `MAX_EVALUATIONS` model runs per point and reuses the Jacobian
stored with the calibration instead of recomputing one. Its minimum over the
others is therefore an upper bound of the true profile, exact at the optimum's
neighbourhood; where the re-optimisation ran out of budget the CSV says so. A
profile that stays within s^2 of its minimum up to a bound leaves the constant
unpinned on that side.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.optimize import least_squares

from drysheet.calibration import cell_fit
from drysheet.calibration.least_squares import FitParameter
from drysheet.model.parameters import CELL_CALIBRATION_FILE, chain_constants
from drysheet.pool import SimulatorPool
from drysheet.protocols import study_protocol

DOCS = Path(__file__).resolve().parents[3] / "docs"
PROFILE_CSV = DOCS / "identifiability_profiles.csv"
REPORT_MD = DOCS / "identifiability.md"
TABLE_START, TABLE_END = "<!-- profile table: start -->", "<!-- profile table: end -->"
POINTS = 4  # grid points per constant, evenly spread over its (internal) bounds
MAX_EVALUATIONS = 3  # model runs per profile point (nine first cycles each)


def internal_grid(p: FitParameter, n: int, optimum: float) -> np.ndarray:
    """``n`` points evenly over the internal bounds, and the optimum (sorted)."""
    lo, hi = p.internal_bounds
    return np.unique(np.append(np.linspace(lo, hi, n), optimum))


def profile_point(
    residual_fn: Callable[[dict[str, float]], np.ndarray],
    parameters: Sequence[FitParameter],
    optimum: np.ndarray,
    jacobian: np.ndarray,
    k: int,
    z_k: float,
    max_evaluations: int = MAX_EVALUATIONS,
) -> tuple[float, np.ndarray, int]:
    """S_k at theta_k = ``z_k`` (internal): sum of squared residuals with the others
    re-optimised from ``optimum`` (internal) using the fixed ``jacobian`` (columns of the
    others). Returns S_k, the internal point and the model runs spent."""
    others = [i for i in range(len(parameters)) if i != k]
    lo = np.array([parameters[i].internal_bounds[0] for i in others])
    hi = np.array([parameters[i].internal_bounds[1] for i in others])

    def full(z_others: np.ndarray) -> np.ndarray:
        z = optimum.copy()
        z[others], z[k] = z_others, z_k
        return z

    def fun(z_others: np.ndarray) -> np.ndarray:
        z = full(z_others)
        return residual_fn({p.name: p.to_value(zi) for p, zi in zip(parameters, z, strict=True)})

    columns = jacobian[:, others]
    res = least_squares(
        fun,
        np.clip(optimum[others], lo, hi),
        jac=lambda _z: columns,
        bounds=(lo, hi),
        x_scale="jac",
        max_nfev=max_evaluations,
    )
    return float(res.fun @ res.fun), full(res.x), int(res.nfev)


def one_sigma_range(
    z: np.ndarray, s: np.ndarray, threshold: float
) -> tuple[float | None, float | None]:
    """Where the profile ``s(z)`` (sorted z) first rises by ``threshold`` above its minimum
    on either side of it, linearly interpolated; None where it stays below up to the
    grid's end (unpinned on that side)."""
    i_min = int(np.argmin(s))
    level = s[i_min] + threshold

    def crossing(indices: range) -> float | None:
        prev = i_min
        for i in indices:
            if s[i] >= level:
                t = (level - s[prev]) / (s[i] - s[prev])
                return float(z[prev] + t * (z[i] - z[prev]))
            prev = i
        return None

    return crossing(range(i_min - 1, -1, -1)), crossing(range(i_min + 1, len(z)))


def _stored() -> tuple[dict, list[FitParameter], np.ndarray, np.ndarray, float]:
    """The stored calibration, its parameters, internal optimum, Jacobian and s^2 (residual
    variance of the observations: sum r^2 / (n - p))."""
    doc = yaml.safe_load(CELL_CALIBRATION_FILE.read_text())
    params = cell_fit.PARAMETERS
    if doc["covariance"]["parameters"] != [p.name for p in params]:
        raise ValueError(f"{CELL_CALIBRATION_FILE}: parameters differ from cell_fit's")
    z = np.array([p.to_internal(doc["parameters"][p.name]["value"]) for p in params])
    jac = np.array(doc["jacobian"]["matrix"])
    r = np.array(
        [
            doc["residuals"][key]["error"] / tol
            for key, tol in zip(
                doc["jacobian"]["residual_keys"], doc["jacobian"]["tolerance"], strict=True
            )
        ]
    )
    s2 = float(r @ r) / (r.size - len(params))
    return doc, params, z, jac, s2


def unpinned(doc: dict) -> list[str]:
    """The calibration's constants with 1-sigma larger than their value."""
    return [n for n, v in doc["parameters"].items() if v["std"] > abs(v["value"])]


def run_profiles(
    names: list[str] | None = None, points: int = POINTS, path: Path = PROFILE_CSV
) -> pd.DataFrame:
    """Profile ``names`` (default: `unpinned`), appending each point to ``path`` as it
    finishes (points of the same calibration already in ``path`` are not recomputed)."""
    doc, params, optimum, jac, s2 = _stored()
    calibration = f"{doc['date']}, cost {doc['cost']:.6g}"
    cov = np.array(doc["covariance"]["matrix"])
    rows = pd.read_csv(path).to_dict("records") if path.exists() else []
    all_names = [p.name for p in params]
    with SimulatorPool(study_protocol().truncated(1)) as pool:
        residual_fn = cell_fit.residual_function(pool, chain_constants())
        for name in unpinned(doc) if names is None else names:
            k = all_names.index(name)
            p = params[k]
            for z_k in internal_grid(p, points, optimum[k]):
                if _done(rows, calibration, name, z_k):
                    continue
                s, z, runs = profile_point(residual_fn, params, optimum, jac, k, z_k)
                rows.append(
                    {
                        "calibration": calibration,
                        "parameter": name,
                        "internal": z_k,
                        "value": p.to_value(z_k),
                        "sum_of_squares": s,
                        "model_runs": runs,
                        "optimum_internal": optimum[k],
                        "gn_sd_internal": float(np.sqrt(cov[k, k])),
                        "s2": s2,
                        "log10": p.log,
                        "lower": p.lower,
                        "upper": p.upper,
                        **{f"at: {n}": params[i].to_value(z[i]) for i, n in enumerate(all_names)},
                    }
                )
                pd.DataFrame(rows).to_csv(path, index=False)
                print(f"{name} = {p.to_value(z_k):.4g}: S = {s:.4g}", flush=True)
    return pd.DataFrame(rows)


def _done(rows: list[dict], calibration: str, name: str, z_k: float) -> bool:
    return any(
        r["calibration"] == calibration
        and r["parameter"] == name
        and np.isclose(r["internal"], z_k)
        for r in rows
    )


def summary(profiles: pd.DataFrame) -> pd.DataFrame:
    """Per calibration and profiled constant: value, Gauss-Newton and profile 1-sigma
    ranges (from the CSV alone)."""
    out = []
    for (calibration, name), part in profiles.groupby(["calibration", "parameter"], sort=False):
        first = part.iloc[0]
        p = FitParameter(name, first["lower"], first["upper"], log=bool(first["log10"]))
        z0, sd = first["optimum_internal"], first["gn_sd_internal"]
        part = part.sort_values("internal")
        s = part["sum_of_squares"].to_numpy()
        lo, hi = one_sigma_range(part["internal"].to_numpy(), s, first["s2"])
        bound_lo, bound_hi = p.internal_bounds
        out.append(
            {
                "calibration": calibration,
                "constant": name,
                "value": p.to_value(z0),
                "GN 1σ range": _range(p, z0 - sd, z0 + sd),
                "profile 1σ range": _range(
                    p, bound_lo if lo is None else lo, bound_hi if hi is None else hi, lo, hi
                ),
                "profile min S": float(part["sum_of_squares"].min()),
                "S at bounds": " / ".join(f"{v:.3g}" for v in s[[0, -1]]),
                "s²": first["s2"],
                "points": len(part),
            }
        )
    return pd.DataFrame(out)


def _range(
    p: FitParameter, lo: float, hi: float, found_lo: float | None = 0, found_hi: float | None = 0
) -> str:
    """A value range, clipped to the bounds; a side the profile never closed shows its
    bound with "≤"/"≥" (unpinned there)."""
    blo, bhi = p.internal_bounds
    a, b = p.to_value(max(lo, blo)), p.to_value(min(hi, bhi))
    left = f"≤{a:.3g}" if found_lo is None or lo < blo else f"{a:.3g}"
    right = f"≥{b:.3g}" if found_hi is None or hi > bhi else f"{b:.3g}"
    return f"{left} .. {right}"


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-markdown table of ``frame`` (numbers to 4 significant digits)."""

    def cell(x: object) -> str:
        return f"{x:.4g}" if isinstance(x, float) else str(x)

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(x) for x in row) + " |" for row in frame.itertuples(False)]
    return "\n".join(lines)


def write_table(profiles: pd.DataFrame, path: Path = REPORT_MD) -> None:
    """Replace the table between the markers of ``path`` with `summary` of ``profiles``."""
    table = markdown_table(summary(profiles))
    note = (
        "S: sum of squared residuals (tolerance units); 1σ: where the profile rises by s² "
        "(Δχ² = 1) above its minimum; ≤/≥: the profile stays below that up to the bound "
        "(unpinned on that side)."
    )
    text = path.read_text()
    head, rest = text.split(TABLE_START)
    _, tail = rest.split(TABLE_END)
    path.write_text(f"{head}{TABLE_START}\n{table}\n\n{note}\n{TABLE_END}{tail}")


def main(names: list[str] | None = None, points: int = POINTS, table_only: bool = False) -> None:
    profiles = pd.read_csv(PROFILE_CSV) if table_only else run_profiles(names, points)
    write_table(profiles)
    print(summary(profiles).to_string(index=False))
    print(f"written {REPORT_MD}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--parameters", nargs="+", help="constants to profile (default: 1σ > value)"
    )
    parser.add_argument("--points", type=int, default=POINTS, help="grid points per constant")
    parser.add_argument("--table-only", action="store_true", help="rewrite the table from the CSV")
    args = parser.parse_args()
    main(names=args.parameters, points=args.points, table_only=args.table_only)
