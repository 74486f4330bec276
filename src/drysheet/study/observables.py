"""Observables: the rows of ``observables.csv`` (docs/observables.md).

Each row is computed by running the model; the ``target`` column is looked up
from targets.yaml *after* the value is computed, only for comparison.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from drysheet.study.targets import load_targets

COLUMNS = ("key", "value", "unit", "target")


@dataclass(frozen=True)
class Observable:
    key: str
    value: float | bool
    unit: str

    @property
    def target(self) -> float | bool | None:
        return target_for(self.key)


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
    """Write observables.csv (value formatted to 6 significant digits)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for r in rows:
            target = r.target
            w.writerow([r.key, _fmt(r.value), r.unit, "" if target is None else _fmt(target)])
    return path


def _fmt(v: float | bool) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return f"{v:.6g}"
