"""Calibrate the transport constants against the study's conductivities (Fig. 1).

Run ``python -m drysheet.calibration.transport_fit`` to re-fit and rewrite
``drysheet/data/transport_calibration.yaml``; it prints the residuals.

The fit matches what the *instruments* would report, not the model's internal
sigma: the separator's EIS-route sigma equals the layer's total ionic
conductivity (the EIS round trip is exact to < 2 %, tested), while the
electron-blocking DC route of a carbon-containing cathode reports an apparent
ionic conductivity raised by the electronic shortcut through CAM particles
(`drysheet.analysis.dc_polarisation.apparent_ionic_conductivity`).
Residuals are relative errors in log space, ln(model/target).
``--covariance-only`` recomputes only the Jacobian and covariance at the stored
values (no refit).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import yaml

from drysheet.analysis.dc_polarisation import apparent_ionic_conductivity
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
from drysheet.constants import S_PER_M_TO_mS_PER_CM
from drysheet.study.conductivity_experiments import (
    MEASUREMENT_TEMPERATURE_K,
    cathode_sheet_layer,
    separator_layer,
)
from drysheet.study.targets import load_targets
from drysheet.transport import (
    CALIBRATION_FILE,
    TransportParameters,
    calibrated_parameters,
    electronic_conductivity_S_per_m,
    exchange_conductance_S_per_m3,
    ionic_conductivity_mS_cm,
    ionic_conductivity_S_per_m,
)

PARAMETERS = registry_parameters("transport_fit")  # names, bounds: drysheet.model.registry


def measured_like(p: TransportParameters) -> dict[str, float]:
    """What the study's instruments would report for the model layers (mS/cm)."""
    out: dict[str, float] = {}
    T = MEASUREMENT_TEMPERATURE_K
    for ptfe in (0.0, 0.5, 1.0):
        out[f"separator_sigma_ion/ptfe={ptfe:g}"] = ionic_conductivity_mS_cm(
            separator_layer(ptfe), T, p
        )
    for f in ("uncoated", "coated", "coated+C65"):
        layer = cathode_sheet_layer(f)
        s_i = ionic_conductivity_S_per_m(layer, T, p)
        s_e = electronic_conductivity_S_per_m(layer, T, p=p)
        g = exchange_conductance_S_per_m3(layer, T, p)
        out[f"cathode_sigma_ion/{f}"] = (
            apparent_ionic_conductivity(s_i, s_e, g, layer.thickness_um) * S_PER_M_TO_mS_PER_CM
        )
        out[f"cathode_sigma_e/{f}"] = s_e * S_PER_M_TO_mS_PER_CM
    return out


def target_values() -> dict[str, float]:
    t = load_targets()
    out = {
        f"separator_sigma_ion/ptfe={k:g}": float(v)
        for k, v in t["separator_ionic_conductivity_mS_cm"]["by_ptfe_wt_pct"].items()
    }
    cath = t["cathode_sheet_conductivity_mS_cm"]
    for f, v in cath["ionic"].items():
        out[f"cathode_sigma_ion/{f}"] = float(v)
    for f, v in cath["electronic"].items():
        out[f"cathode_sigma_e/{f}"] = float(v)
    return out


def residual_keys() -> list[str]:
    """The fitted conductivities, in the order of the residual vector."""
    return sorted(target_values())


def residuals(values: dict[str, float]) -> np.ndarray:
    """ln(model / target) of the conductivities at the fitted values."""
    targets = target_values()
    model = measured_like(TransportParameters(**values))
    return np.array([math.log(model[k] / targets[k]) for k in residual_keys()])


def run_fit(
    n_starts: int = 6, seed: int = 0
) -> tuple[FitResult, dict[str, float], dict[str, float]]:
    result = fit(residuals, PARAMETERS, n_starts=n_starts, seed=seed)
    model = measured_like(TransportParameters(**result.values))
    return result, model, target_values()


def write_calibration(result: FitResult, records: dict, path: Path) -> None:
    keys = residual_keys()
    doc = calibration_document(
        result,
        "python -m drysheet.calibration.transport_fit",
        "ln(model/target)",
        records,
        keys,
        [1.0] * len(keys),
    )
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def main(path: Path = CALIBRATION_FILE, covariance_only: bool = False) -> None:
    """Fit and write the calibration to ``path`` (``drysheet calibrate transport --out``;
    run as a module, the package's stored calibration). ``covariance_only``: the stored
    calibration with its Jacobian and covariance recomputed, no refit."""
    if covariance_only:
        stored = calibrated_parameters(joint=None)
        values = {p.name: getattr(stored, p.name) for p in PARAMETERS}
        result = at_stored(residuals, PARAMETERS, values)
        keys = residual_keys()
        write_uncertainty(CALIBRATION_FILE, path, result, keys, [1.0] * len(keys))
        print(describe(result))
        print(f"written {path}")
        return
    result, model, targets = run_fit()
    relative = {k: 100 * (model[k] / targets[k] - 1) for k in targets}
    records = residual_records(model, targets, rel_error_pct=relative)
    write_calibration(result, records, path)
    print(describe(result))
    print(format_records(records))
    print(f"written {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--covariance-only", action="store_true", help=COVARIANCE_ONLY_HELP)
    main(covariance_only=parser.parse_args().covariance_only)
