"""Observables: the rows of ``observables.csv`` (docs/observables.md).

Each row is computed by running the model; the ``target`` column is looked up
from targets.yaml *after* the value is computed, only for comparison. The ``role``
says what the comparison means: ``calibrated`` rows are targets some constant was
fitted to (listed among the residuals of a stored calibration), ``compared`` rows
targets nothing was fitted to, ``predicted`` rows have no target.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml

from drysheet.study.targets import load_targets

COLUMNS = ("key", "value", "unit", "target", "low", "high", "role")
Role = Literal["calibrated", "compared", "predicted"]


@dataclass(frozen=True)
class Observable:
    key: str
    value: float | bool
    unit: str
    low: float | bool | None = None  # 90 % band of the value, where one is computed
    high: float | bool | None = None

    @property
    def target(self) -> float | bool | None:
        return target_for(self.key)

    @property
    def role(self) -> Role:
        if self.key in calibrated_keys():
            return "calibrated"
        return "predicted" if self.target is None else "compared"


@cache
def calibrated_keys() -> frozenset[str]:
    """Observable keys that a stored calibration was fitted to (its residuals)."""
    from drysheet.model.gas import GAS_CALIBRATED_ARCHITECTURE, GAS_CALIBRATION_FILE
    from drysheet.model.parameters import CELL_CALIBRATION_FILE, RETENTION_CALIBRATION_FILE
    from drysheet.transport import CALIBRATION_FILE

    keys: set[str] = set()
    for path in (CALIBRATION_FILE, CELL_CALIBRATION_FILE, RETENTION_CALIBRATION_FILE):
        keys |= set(_residual_names(path))
    keys |= {
        f"dems/{GAS_CALIBRATED_ARCHITECTURE}/{gas}" for gas in _residual_names(GAS_CALIBRATION_FILE)
    }
    return frozenset(keys)


def _residual_names(path: Path) -> list[str]:
    if not path.exists():
        return []
    return list((yaml.safe_load(path.read_text()) or {}).get("residuals", {}))


def target_for(key: str) -> float | bool | None:
    """The study's reported value for an observable key, or None."""
    t = load_targets()
    parts = key.split("/")
    try:
        if parts[0].startswith("separator_sigma_ion"):
            ptfe = float(key.split("=")[1])
            return float(t["separator_ionic_conductivity_mS_cm"]["by_ptfe_wt_pct"][ptfe])
        if parts[0] in ("cathode_sigma_ion", "cathode_sigma_e"):
            kind = "ionic" if parts[0] == "cathode_sigma_ion" else "electronic"
            return float(t["cathode_sheet_conductivity_mS_cm"][kind][parts[1]])
        if parts[0] == "first_discharge":
            return float(t["first_cycle"]["discharge_capacity_mAh_g"][parts[1]][parts[2]])
        if parts[0] == "first_ce":
            return float(t["first_cycle"]["coulomb_efficiency_pct"][parts[1]][parts[2]])
        if parts[0] == "retention_100":
            return float(t["capacity_retention_100_cycles_pct"][parts[1]][parts[2]])
        if parts[0] == "dems":
            d = t["dems_first_cycle"][parts[1]]
            field = {
                "charge": "charge_capacity_mAh_g",
                "discharge": "discharge_capacity_mAh_g",
                "ce": "coulomb_efficiency_pct",
                "soc": "state_of_charge_reached_pct",
            }
            if parts[2] in field:
                return float(d[field[parts[2]]])
            if parts[2] == "SO2_detected":
                return bool(d["so2_detected"])
            return float(d["evolved_umol_per_g_NCM85"][parts[2]])
    except (KeyError, IndexError, ValueError):
        return None
    return None


def write_observables(rows: list[Observable], path: Path) -> Path:
    """Write observables.csv (numbers to 6 significant digits)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow(
                [r.key, _fmt(r.value), r.unit, _fmt(r.target), _fmt(r.low), _fmt(r.high), r.role]
            )
    return path


def read_observables(path: Path) -> list[Observable]:
    """The rows of an observables.csv (target and role are derived again from the key)."""
    with Path(path).open(newline="") as fh:
        return [
            Observable(
                row["key"],
                _parse(row["value"]),
                row["unit"],
                *(_parse(row[c]) if row.get(c) else None for c in ("low", "high")),
            )
            for row in csv.DictReader(fh)
        ]


def _fmt(v: float | bool | None) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return f"{v:.6g}"


def _parse(text: str) -> float | bool:
    if text in ("true", "false"):
        return text == "true"
    return float(text)
