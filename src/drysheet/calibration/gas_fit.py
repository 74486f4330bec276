"""Calibrate the gas-evolution submodel on the powder-powder DEMS amounts.

Run ``python -m drysheet.calibration.gas_fit`` to re-fit and rewrite
``drysheet/data/gas_calibration.yaml``; it prints the residuals, the cell
model's DEMS capacities against the targets, and the sheet-sheet prediction.

Fitted (`drysheet.model.gas`): the protic-impurity inventory N_H, the O2
release rate constant k_O and the surface-carbonate inventory N_C, to the
H2, O2 and CO2 amounts of the powder-powder DEMS run (targets.yaml,
``dems_first_cycle``); three numbers, three parameters. Residuals are
(model - target) / (0.1 target): an assumed 10 % uncertainty of DEMS amounts
(estimate), which sets the 1-sigma parameter uncertainties. SO2 is reported
as detected, not quantified: it is checked, not fitted. The cell model is run
once (gases do not feed back on it); its capacities are reported as they are.
The sheet-sheet run is never fitted: it is a prediction. ``--covariance-only``
recomputes only the Jacobian and covariance at the stored values (no refit).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from drysheet.calibration.least_squares import (
    COVARIANCE_ONLY_HELP,
    FitResult,
    at_stored,
    calibration_document,
    describe,
    fit,
    registry_parameters,
    write_uncertainty,
)
from drysheet.instruments.dems import dems_cell, run_dems, simulate_dems_cell
from drysheet.model import gas as gas_model
from drysheet.model.gas import GAS_CALIBRATED_ARCHITECTURE as CALIBRATED_ARCHITECTURE
from drysheet.model.gas import GAS_CALIBRATION_FILE, GasParameters, load_gas_parameters
from drysheet.model.parameters import chain_constants
from drysheet.result import Result
from drysheet.study.targets import load_targets

RELATIVE_UNCERTAINTY = 0.10  # assumed uncertainty of a DEMS amount (estimate)
FITTED_GAS = {
    "h2_inventory_umol_g": "H2",
    "o2_rate_constant_per_s": "O2",
    "co2_carbonate_umol_g": "CO2",
}
PARAMETERS = registry_parameters("gas_fit")  # names, bounds: drysheet.model.registry
CAPACITY_TARGETS = {
    "charge": "charge_capacity_mAh_g",
    "discharge": "discharge_capacity_mAh_g",
    "ce": "coulomb_efficiency_pct",
    "soc": "state_of_charge_reached_pct",
}


def dems_targets() -> dict:
    return load_targets()["dems_first_cycle"][CALIBRATED_ARCHITECTURE]


def residual_keys() -> list[str]:
    """The fitted gases, in the order of the residual vector."""
    return list(FITTED_GAS.values())


def tolerances() -> list[float]:
    """The scale each residual is divided by: `RELATIVE_UNCERTAINTY` x target (µmol/g)."""
    targets = dems_targets()["evolved_umol_per_g_NCM85"]
    return [RELATIVE_UNCERTAINTY * float(targets[g]) for g in residual_keys()]


Amounts = Callable[[dict[str, float]], dict[str, float]]


def dems_trajectory(result: Result) -> pd.DataFrame:
    """The gas model's `trajectory` of a run of the powder-powder DEMS cell."""
    cell = dems_cell(CALIBRATED_ARCHITECTURE)
    return gas_model.trajectory(result, cell.cathode.contact_area_fraction)


def gas_amounts(traj: pd.DataFrame, values: dict[str, float]) -> dict[str, float]:
    """Amount of every gas (µmol/g) along ``traj`` with the fitted ``values`` (the other
    gas parameters at their defaults)."""
    params = replace(GasParameters.defaults(), **values)
    temperature_K = dems_cell(CALIBRATED_ARCHITECTURE).temperature_K
    return gas_model.totals_umol_g(gas_model.evolve_gases(traj, params, temperature_K))


def scaled_residuals(amounts: dict[str, float]) -> np.ndarray:
    """(model - target) / (0.1 target) of the fitted gases, in `residual_keys` order."""
    targets = dems_targets()["evolved_umol_per_g_NCM85"]
    scale = zip(residual_keys(), tolerances(), strict=True)
    return np.array([(amounts[g] - targets[g]) / s for g, s in scale])


def residual_function() -> tuple[Callable[[dict[str, float]], np.ndarray], Amounts]:
    """(model - target) / (0.1 target) of the fitted gases at the fitted values, and the
    amounts of every gas (µmol/g), over one run of the powder-powder DEMS cell."""
    traj = dems_trajectory(
        simulate_dems_cell(CALIBRATED_ARCHITECTURE, calibrated=chain_constants())
    )

    def amounts(values: dict[str, float]) -> dict[str, float]:
        return gas_amounts(traj, values)

    def residuals(values: dict[str, float]) -> np.ndarray:
        return scaled_residuals(amounts(values))

    return residuals, amounts


def run_fit(n_starts: int = 4, seed: int = 0) -> tuple[FitResult, dict[str, float], dict]:
    """Fit `PARAMETERS` from the registry's starting values; returns the fit, the model
    amounts (µmol/g) and the targets."""
    residuals, amounts = residual_function()
    start = GasParameters.defaults()
    initial = {p.name: getattr(start, p.name) for p in PARAMETERS}
    result = fit(residuals, PARAMETERS, n_starts=n_starts, seed=seed, initial=initial)
    return result, amounts(result.values), dems_targets()["evolved_umol_per_g_NCM85"]


def stored_uncertainty() -> FitResult:
    """Jacobian and covariance at the stored calibration (`at_stored`), no refit."""
    residuals, _ = residual_function()
    stored = load_gas_parameters(joint=None)
    return at_stored(residuals, PARAMETERS, {p.name: getattr(stored, p.name) for p in PARAMETERS})


def write_calibration(
    result: FitResult, model: dict[str, float], targets: dict, observables: dict, path: Path
) -> None:
    residuals = {
        g: {
            "model": model[g],
            "target": float(targets[g]),
            "error": model[g] - targets[g],
            "relative_error_pct": 100.0 * (model[g] / targets[g] - 1.0),
        }
        for g in FITTED_GAS.values()
    }
    doc = calibration_document(
        result,
        "python -m drysheet.calibration.gas_fit",
        f"(model - target) / ({RELATIVE_UNCERTAINTY:g} target)",
        residuals,
        residual_keys(),
        tolerances(),
    )
    cell_targets = dems_targets()
    doc |= {
        "calibrated_on": f"dems_first_cycle/{CALIBRATED_ARCHITECTURE} (coated)",
        "fixed_parameters": {
            k: v for k, v in asdict(GasParameters.defaults()).items() if k not in doc["parameters"]
        },
        "so2": {
            "model_umol_g": model["SO2"],
            "detected": bool(observables["SO2_detected"]),
            "target_detected": bool(cell_targets["so2_detected"]),
        },
        "cell_model_not_fitted": {
            k: {
                "model": float(observables[k]),
                "target": float(cell_targets[col]),
                "relative_miss_pct": 100.0 * (observables[k] / cell_targets[col] - 1.0),
            }
            for k, col in CAPACITY_TARGETS.items()
            if k in observables
        },
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def main(path: Path = GAS_CALIBRATION_FILE, covariance_only: bool = False) -> None:
    """Fit and write the calibration to ``path`` (``drysheet calibrate gas --out``; run as
    a module, the package's stored calibration). ``covariance_only``: the stored
    calibration with its Jacobian and covariance recomputed, no refit."""
    if covariance_only:
        result = stored_uncertainty()
        write_uncertainty(GAS_CALIBRATION_FILE, path, result, residual_keys(), tolerances())
        print(describe(result))
        print(f"written {path}")
        return
    result, model, targets = run_fit()
    calibrated = replace(GasParameters.defaults(), **result.values)
    pp = run_dems(CALIBRATED_ARCHITECTURE, parameters=calibrated).observables()
    write_calibration(result, model, targets, pp, path)
    print(describe(result))
    ss = run_dems("sheet-sheet", parameters=calibrated).observables()
    cell_targets = dems_targets()
    rows = {k: [pp[k], cell_targets[col], ss.get(k)] for k, col in CAPACITY_TARGETS.items()}
    rows |= {g: [pp[g], targets.get(g), ss[g]] for g in gas_model.GASES}
    table = pd.DataFrame(rows, index=["powder-powder", "target (pp)", "sheet-sheet (prediction)"])
    print(table.T.to_string(float_format="{:.2f}".format))
    print(f"SO2 detected: pp {pp['SO2_detected']}, ss {ss['SO2_detected']}")
    print(f"written {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--covariance-only", action="store_true", help=COVARIANCE_ONLY_HELP)
    main(covariance_only=parser.parse_args().covariance_only)
