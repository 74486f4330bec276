"""Calibrate the degradation constants against the study's nine capacity retentions.

Run ``python -m drysheet.calibration.retention_fit`` (or ``drysheet calibrate
retention``) to re-fit and rewrite ``drysheet/data/retention_calibration.yaml``.

Fitted (4 parameters, 9 retentions): the fatigue isolation coefficient k_fat,
the isolation conductivity sigma_iso and the compliance effectiveness eta_c of
the chemomechanical fatigue submodel (`drysheet.model.ssb_half_cell`), and the
electron leak gamma_C through the carbon of reduced separator PTFE
(`drysheet.model.anode_interphase`). The Paris exponent m is fixed at 30 (the
ceramics' range; free, it left k_fat unpinned: registry entry). The
stacked sheet-sheet cells, pressed at the stack pressure only, carry almost no
pressing flaws for fatigue to grow from, so their fade is the PTFE anode path
and gamma_C is what they pin. Everything else is held: the first-cycle
constants (``cell_fit``, run first: fatigue costs < 1 % of the first cycle) and
the other anode-interphase constants (literature and estimates). Residuals are
scaled by the 3-point acceptance tolerance.

Cross-validation: leave-one-out errors from the linearised model at the
optimum, e_(i) = e_i / (1 - h_ii) with h_ii the leverages of J (J^T J)^-1 J^T
(exact for a linear model; the PRESS statistic). Where a cell's leverage
exceeds 0.5 it alone pins a parameter and the linearised error diverges, so
those rows are flagged. ``--exact-loo flagged`` refits on the other eight for
the flagged rows only (at an earlier calibration the linearised error was close
to the refit one up to h ≈ 0.7: coated sheet-powder, h = 0.53, gave +7.65 refitted
and +7.7 linearised; coated+C65 pellet, h = 0.68, +4.19 and +4.2), and
``--exact-loo all`` for all nine (hours on two cores: each refit costs 10-30 min).
A refit starts from the full-data optimum with the fit's own budget
(`MAX_EVALUATIONS`): where it spends it, its error is that of the best of those
steps, not of a converged refit. Each finished refit is written to the
calibration file at once. ``--covariance-only`` recomputes only the Jacobian
and covariance at the stored values (6 runs of the nine cells, no refit).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml

from drysheet.calibration.least_squares import (
    COVARIANCE_ONLY_HELP,
    FitResult,
    at_stored,
    calibration_document,
    describe,
    fit,
    format_records,
    registry_parameters,
    residual_records,
    write_uncertainty,
)
from drysheet.model.parameters import RETENTION_CALIBRATION_FILE, chain_constants
from drysheet.pool import SimulatorPool
from drysheet.protocols import LONG_BLOCK_LABEL, study_protocol
from drysheet.result import Result, capacity_retention_pct
from drysheet.study.cells import STUDY_CELLS, nine_study_cells
from drysheet.study.retention_summary import (
    LEVERAGE_UNRELIABLE,
    LOO_FLAGGED,
    LOO_LINEARISED,
    LOO_REFIT,
    TOLERANCE_PCT,
)
from drysheet.study.targets import load_targets

PARAMETERS = registry_parameters("retention_fit")  # names, bounds: drysheet.model.registry
FAILED_CELL_RESIDUAL = 30.0  # a cell the solver cannot run counts as a large miss
# residual evaluations per fit (scipy's max_nfev, Jacobians not counted): each costs
# the nine cells x 100 cycles (~50 s on two cores); starts from the stored values
MAX_EVALUATIONS = 10
EXACT_LOO_CHOICES = ("none", "flagged", "all")  # which LOO rows are refitted
FIT_SETTINGS = {"range_step": 0.02, "max_nfev": MAX_EVALUATIONS, "xtol": 1e-3}


def target_values() -> dict[str, float]:
    t = load_targets()["capacity_retention_100_cycles_pct"]
    return {f"retention_100/{f}/{a}": float(t[f][a]) for f, a in STUDY_CELLS}


def retention_value(res: Result | str) -> float:
    """Retention over the long C/5 block of one cell's run (NaN where it failed)."""
    ok = isinstance(res, Result) and res.status is not None and res.status.ok
    return capacity_retention_pct(res.cycles, label=LONG_BLOCK_LABEL) if ok else float("nan")


def retention_model(pool: SimulatorPool, calibrated: dict[str, float]) -> dict[str, float]:
    """Retention over the long C/5 block of the nine study cells (NaN where a cell fails)."""
    return {
        f"retention_100/{f}/{a}": retention_value(res)
        for (f, a), res in pool.run_cells(nine_study_cells(), calibrated).items()
    }


def leverages(result: FitResult) -> np.ndarray:
    """Diagonal h_ii of the hat matrix J (J^T J)^-1 J^T at the optimum."""
    J = result.jacobian
    return np.diag(J @ np.linalg.pinv(J.T @ J) @ J.T)


def leave_one_out_errors(result: FitResult) -> np.ndarray:
    """Linearised LOO residuals e_i / (1 - h_ii), in units of the scaled residuals."""
    return result.residuals / np.clip(1.0 - leverages(result), 1e-6, None)


def _check_exact_loo(exact_loo: str) -> None:
    if exact_loo not in EXACT_LOO_CHOICES:
        raise ValueError(f"exact_loo must be one of {EXACT_LOO_CHOICES}, not {exact_loo!r}")


def cells_to_refit(keys: list[str], leverage: np.ndarray, exact_loo: str) -> list[str]:
    """The cells whose LOO error is refitted: none, those with h > `LEVERAGE_UNRELIABLE`
    (``"flagged"``) or all."""
    _check_exact_loo(exact_loo)
    if exact_loo == "all":
        return list(keys)
    flagged = exact_loo == "flagged"
    return [k for k, h in zip(keys, leverage, strict=True) if flagged and h > LEVERAGE_UNRELIABLE]


Checkpoint = Callable[[FitResult, dict, dict, dict[str, dict]], None]
Residuals = Callable[..., np.ndarray]  # (values, drop=None) -> scaled residuals


def residual_function(
    pool: SimulatorPool, fixed: dict[str, float]
) -> tuple[Residuals, Callable[[dict[str, float]], dict[str, float]]]:
    """(model - target) / 3 points of the nine retentions at the fitted values (without
    the ``drop``ped cell), and the retentions themselves; each point is simulated once
    (the fit's optimum and a held-out cell's prediction were already run by the fit)."""
    targets = target_values()
    keys = sorted(targets)
    evaluated: dict[tuple[float, ...], dict[str, float]] = {}

    def model_at(values: dict[str, float]) -> dict[str, float]:
        key = tuple(f"{v:.12g}" for v in values.values())  # log10 round trips move 1 ulp
        if key not in evaluated:
            evaluated[key] = retention_model(pool, {**fixed, **values})
        return evaluated[key]

    def residuals_of(values: dict[str, float], drop: str | None = None) -> np.ndarray:
        model = model_at(values)
        r = np.array([(model[k] - targets[k]) / TOLERANCE_PCT for k in keys if k != drop])
        r = np.nan_to_num(r, nan=FAILED_CELL_RESIDUAL)
        shown = ", ".join(f"{v:.4g}" for v in values.values())
        cells = "all nine" if drop is None else f"LOO without {drop.split('/', 1)[1]}"
        print(f"  {cells}: [{shown}] -> cost {0.5 * float(r @ r):.4g}", flush=True)
        return r

    return residuals_of, model_at


def run_fit(
    exact_loo: str = "none",
    checkpoint: Checkpoint | None = None,
    max_evaluations: int = MAX_EVALUATIONS,
) -> tuple[FitResult, dict, dict, dict[str, dict]]:
    """Fit; LOO errors linearised (flagged where h_ii > `LEVERAGE_UNRELIABLE`), refitted
    for the flagged cells (``exact_loo="flagged"``) or for all (``"all"``). Returns the
    fit, model, targets and per-cell LOO records. ``checkpoint`` receives the same four
    after the fit and after each LOO refit, so a long run that is stopped keeps what it
    finished. ``max_evaluations`` is scipy's max_nfev (1: no step, the stored values with
    their Jacobian, residuals and LOO errors)."""
    _check_exact_loo(exact_loo)  # before any simulation
    settings = {**FIT_SETTINGS, "max_nfev": max_evaluations}
    targets = target_values()
    keys = sorted(targets)
    fixed = chain_constants()
    with SimulatorPool(study_protocol()) as pool:
        residuals_of, model_at = residual_function(pool, fixed)
        start = {p.name: fixed[p.name] for p in PARAMETERS}
        result = fit(residuals_of, PARAMETERS, n_starts=0, initial=start, **settings)
        model = model_at(result.values)
        h = leverages(result)
        linear = TOLERANCE_PCT * leave_one_out_errors(result)
        loo = {
            k: {
                "leverage": float(h[i]),
                "leave_one_out_error": float(linear[i]),
                "loo_method": LOO_LINEARISED if h[i] <= LEVERAGE_UNRELIABLE else LOO_FLAGGED,
            }
            for i, k in enumerate(keys)
        }
        if checkpoint:
            checkpoint(result, model, targets, loo)
        for k in cells_to_refit(keys, h, exact_loo):
            held = fit(
                lambda v, k=k: residuals_of(v, drop=k),
                PARAMETERS,
                n_starts=0,
                initial=result.values,
                **settings,
            )
            loo[k].update(
                leave_one_out_error=model_at(held.values)[k] - targets[k], loo_method=LOO_REFIT
            )
            if checkpoint:
                checkpoint(result, model, targets, loo)
    return result, model, targets, loo


def stored_uncertainty() -> FitResult:
    """Jacobian and covariance at the stored calibration (`at_stored`), no refit."""
    fixed = chain_constants()
    with SimulatorPool(study_protocol()) as pool:
        residuals_of, _ = residual_function(pool, fixed)
        start = {p.name: fixed[p.name] for p in PARAMETERS}
        return at_stored(residuals_of, PARAMETERS, start, range_step=FIT_SETTINGS["range_step"])


def residual_keys() -> list[str]:
    """The fitted retentions, in the order of the residual vector."""
    return sorted(target_values())


def write_calibration(
    result: FitResult, records: dict, exact_loo: str, path: Path, max_evaluations: int
) -> None:
    loo_definition = {
        "none": "linearised (e_i / (1 - h_ii)); unreliable (overstated) where the "
        f"leverage h_ii > {LEVERAGE_UNRELIABLE}",
        "flagged": f"refit on the other eight where the leverage h_ii > {LEVERAGE_UNRELIABLE} "
        "(each row's loo_method says whether it was), "
        "linearised (e_i / (1 - h_ii)) elsewhere",
        "all": "refit on the other eight",
    }[exact_loo]
    command = "python -m drysheet.calibration.retention_fit"
    command += "" if exact_loo == "none" else f" --exact-loo {exact_loo}"
    command += "" if max_evaluations == MAX_EVALUATIONS else f" --max-evaluations {max_evaluations}"
    doc = calibration_document(
        result,
        command,
        "(model - target) / 3 % points; leave_one_out_error in % points, " + loo_definition,
        records,
        residual_keys(),
        [TOLERANCE_PCT] * len(records),
    )
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def _records(model: dict, targets: dict, loo: dict[str, dict]) -> dict:
    columns = ("leave_one_out_error", "leverage", "loo_method")
    return residual_records(
        model, targets, **{c: {k: row[c] for k, row in loo.items()} for c in columns}
    )


def main(
    exact_loo: str = "none",
    path: Path = RETENTION_CALIBRATION_FILE,
    covariance_only: bool = False,
    max_evaluations: int = MAX_EVALUATIONS,
) -> None:
    """Fit and write the calibration to ``path`` after every finished step
    (``drysheet calibrate retention --out``; run as a module, the package's stored one).
    ``covariance_only``: the stored calibration with its Jacobian and covariance
    recomputed, no refit."""
    if covariance_only:
        result = stored_uncertainty()
        keys = residual_keys()
        source = RETENTION_CALIBRATION_FILE
        write_uncertainty(source, path, result, keys, [TOLERANCE_PCT] * len(keys))
        print(describe(result))
        print(f"written {path}", flush=True)
        return

    def save(result: FitResult, model: dict, targets: dict, loo: dict[str, dict]) -> None:
        write_calibration(result, _records(model, targets, loo), exact_loo, path, max_evaluations)
        print(f"written {path}", flush=True)

    result, model, targets, loo = run_fit(exact_loo, save, max_evaluations)
    records = _records(model, targets, loo)
    print(describe(result))
    print(format_records(records))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--exact-loo",
        choices=EXACT_LOO_CHOICES,
        default="none",
        help="refit on the other eight for no cell, the flagged (h > 0.5) cells, or all",
    )
    parser.add_argument("--covariance-only", action="store_true", help=COVARIANCE_ONLY_HELP)
    parser.add_argument(
        "--max-evaluations",
        type=int,
        default=MAX_EVALUATIONS,
        help="residual evaluations of the fit (1: the stored values, no step)",
    )
    args = parser.parse_args()
    main(args.exact_loo, covariance_only=args.covariance_only, max_evaluations=args.max_evaluations)
