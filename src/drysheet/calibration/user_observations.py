"""A user's measured cycling data as the observations `fit_cell` fits, and the residual
rows of a model run against them.

For each cycle present in the measured data, in the protocol and in the chosen cycles,
the observations are

* the discharge capacity (5 mAh/g), the Coulomb efficiency (1.5 % points) and,
  if chosen, the charge capacity (5 mAh/g);
* optionally (target ``"voltage"``) the charge and discharge voltage curves of
  chosen cycles: the measured voltage at `VOLTAGE_POINTS` specific capacities
  spread evenly over 2-98 % of the measured half-cycle's capacity, against the
  model's voltage interpolated at the same capacities (held at its last value
  past the model's end of charge/discharge), scaled by 10 mV.

The tolerance in brackets (`TARGETS`) scales each residual, (model - measured) / tolerance.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from pathlib import Path

import numpy as np
import pandas as pd

from drysheet.errors import DrysheetInputError, require_number
from drysheet.protocols import Protocol
from drysheet.result import CYCLE, DIRECTIONS, Result, voltage_curve


@dataclass(frozen=True)
class Target:
    """A fitted observable: its cycle-table column (none for voltage curves), the
    default tolerance that scales its residual, and the tolerance's unit."""

    column: str | None
    tolerance: float
    unit: str


TARGETS: dict[str, Target] = {
    "discharge_capacity": Target("discharge_capacity_mAh_g", 5.0, "mAh/g"),
    "coulomb_efficiency": Target("coulomb_efficiency_pct", 1.5, "% points"),
    "charge_capacity": Target("charge_capacity_mAh_g", 5.0, "mAh/g"),
    "voltage": Target(None, 0.010, "V"),
}
DEFAULT_TARGETS = ("discharge_capacity", "coulomb_efficiency")
VOLTAGE_POINTS = 20  # capacities per measured half-cycle curve
VOLTAGE_SPAN = (0.02, 0.98)  # share of the measured half-cycle capacity covered
MIN_CURVE_CAPACITY_mAh_g = 1.0  # shorter half-cycles carry no curve
RESIDUAL_COLUMNS = (
    "target",
    "cycle",
    "direction",
    "capacity_mAh_g",
    "measured",
    "model",
    "error",
    "tolerance",
    "unit",
    "scaled_residual",
)


def parse_cycles(spec: str) -> list[int]:
    """Cycle numbers from ``"1-3"``, ``"1,2,5"`` or ``"1-3,10"`` (1-based)."""
    out: set[int] = set()
    for part in spec.replace(" ", "").split(","):
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        first, last = (int(m[1]), int(m[2] or m[1])) if m else (0, -1)
        if not m or first < 1 or last < first:
            raise DrysheetInputError(
                f"cycles: {spec!r} is not a list of cycles like '1-3', '2' or '1,2,5' (from 1)"
            )
        out.update(range(first, last + 1))
    return sorted(out)


def cycle_table(measured: Result | pd.DataFrame) -> pd.DataFrame:
    """The measured per-cycle table: a `Result`'s, or a given one with whole, unique
    ``cycle`` numbers."""
    if isinstance(measured, Result):
        return measured.cycles
    if isinstance(measured, pd.DataFrame):
        if CYCLE not in measured:
            raise DrysheetInputError(
                f"measured cycle table: no 'cycle' column (columns: {list(measured.columns)})"
            )
        cycle = pd.to_numeric(measured[CYCLE], errors="coerce")
        if cycle.isna().any() or (cycle % 1 != 0).any():
            raise DrysheetInputError("measured cycle table: 'cycle' must hold whole numbers")
        if cycle.duplicated().any():
            repeated = sorted(int(c) for c in cycle[cycle.duplicated()].unique())
            raise DrysheetInputError(f"measured cycle table: cycle numbers {repeated} repeat")
        return measured.assign(**{CYCLE: cycle.astype(int)})
    raise DrysheetInputError(
        f"measured: expected a drysheet Result or a cycle DataFrame, got {type(measured).__name__}"
    )


def _usable_cycles(cycles: pd.DataFrame, column: str) -> set[int]:
    """Cycles with a finite value of ``column`` (and, when the table has both capacities,
    a charge and a discharge: an unfinished cycle is no data point)."""
    ok = np.isfinite(pd.to_numeric(cycles[column], errors="coerce"))
    capacities = ("charge_capacity_mAh_g", "discharge_capacity_mAh_g")
    if set(capacities) <= set(cycles):
        for cap in capacities:
            ok &= pd.to_numeric(cycles[cap], errors="coerce") > 0
    return {int(c) for c in cycles.loc[ok, CYCLE]}


def cycle_span(cycles: Sequence[int]) -> str:
    """``"first-last"`` of sorted ``cycles``; ``"none"`` when empty."""
    return f"{min(cycles)}-{max(cycles)}" if cycles else "none"


def observations(
    measured: Result | pd.DataFrame,
    protocol: Protocol,
    targets: Sequence[str],
    tolerances: Mapping[str, float],
    cycles: Sequence[int] | None = None,
    voltage_cycles: Sequence[int] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """The measured values to fit, one row each (columns of `RESIDUAL_COLUMNS` without
    the model ones), and notes on what was left out."""
    table, notes = cycle_table(measured), []
    in_protocol = set(range(1, protocol.n_cycles + 1))
    wanted = set(cycles) if cycles is not None else None
    rows: list[dict] = []
    fitted_cycles: set[int] = set()
    for name in targets:
        target = TARGETS[name]
        if target.column is None:
            continue
        if target.column not in table:
            raise DrysheetInputError(
                f"measured data: no column {target.column!r} for target {name!r} "
                f"(columns: {list(table.columns)})"
            )
        have = _usable_cycles(table, target.column)
        use = sorted(have & in_protocol & (wanted if wanted is not None else have))
        fitted_cycles.update(use)
        values = table.set_index(CYCLE)[target.column]
        rows += [
            {
                "target": name,
                "cycle": c,
                "direction": "",
                "capacity_mAh_g": np.nan,
                "measured": float(values.loc[c]),
                "tolerance": tolerances[name],
                "unit": target.unit,
            }
            for c in use
        ]
    if "voltage" in targets:
        allowed = in_protocol & (wanted if wanted is not None else in_protocol)
        voltage_rows = _voltage_observations(
            measured, allowed, voltage_cycles, tolerances["voltage"], notes
        )
        fitted_cycles.update(row["cycle"] for row in voltage_rows)
        rows += voltage_rows
    if not rows:
        measured_cycles = sorted(int(c) for c in table[CYCLE])
        chosen_text = f", chosen cycles {cycle_span(sorted(wanted))}" if wanted is not None else ""
        raise DrysheetInputError(
            f"no cycle to fit: the measured data has cycles {cycle_span(measured_cycles)} with "
            f"{', '.join(targets)}, the protocol {protocol.name!r} has cycles "
            f"1-{protocol.n_cycles}{chosen_text}; they must overlap"
        )
    measured_cycles = {int(c) for c in table[CYCLE]}
    unusable = sorted((measured_cycles & in_protocol & (wanted or measured_cycles)) - fitted_cycles)
    if unusable:
        notes.append(
            f"measured cycles {unusable} lack a charge or a discharge (partial, e.g. a record "
            "that opens with a discharge, or cut short); not fitted"
        )
    if wanted is not None and wanted - fitted_cycles - measured_cycles:
        missing = sorted(wanted - fitted_cycles - measured_cycles)
        notes.append(f"chosen cycles not in the measured data: {missing}")
    extra = sorted({int(c) for c in table[CYCLE]} - in_protocol)
    if extra:
        notes.append(f"measured cycles {cycle_span(extra)} are beyond the protocol; not fitted")
    return pd.DataFrame(rows), notes


def _voltage_observations(
    measured: Result | pd.DataFrame,
    allowed: set[int],
    voltage_cycles: Sequence[int] | None,
    tolerance: float,
    notes: list[str],
) -> list[dict]:
    """Observation rows of the measured voltage curves: `VOLTAGE_POINTS` voltages per
    charge and discharge of each of ``voltage_cycles`` (default: every measured cycle in
    ``allowed``); a half-cycle without a curve is noted in ``notes``."""
    if not isinstance(measured, Result) or measured.timeseries.empty:
        raise DrysheetInputError(
            "target 'voltage' needs a measured time series (a cycler file), not a per-cycle table"
        )
    ts, mass = measured.timeseries, measured.meta.get("cam_mass_g")
    if not isinstance(mass, Real) or not mass > 0:
        raise DrysheetInputError("target 'voltage': the measured Result has no cam_mass_g")
    pool = sorted({int(c) for c in ts[CYCLE].unique()} & allowed)
    chosen = sorted(set(voltage_cycles)) if voltage_cycles is not None else pool
    missing = sorted(set(chosen) - set(pool))
    if missing:
        raise DrysheetInputError(
            f"voltage cycles {missing}: not in both the measured data and the protocol "
            f"(and the chosen cycles); available: {pool}"
        )
    rows: list[dict] = []
    for c in chosen:
        for direction in DIRECTIONS:
            q, v = voltage_curve(ts, c, direction, mass)
            if q.size < 2 or q[-1] < MIN_CURVE_CAPACITY_mAh_g:
                notes.append(f"cycle {c} has no measured {direction} curve; not fitted")
                continue
            grid = q[-1] * np.linspace(*VOLTAGE_SPAN, VOLTAGE_POINTS)
            rows += [
                {
                    "target": "voltage",
                    "cycle": c,
                    "direction": direction,
                    "capacity_mAh_g": g,
                    "measured": m,
                    "tolerance": tolerance,
                    "unit": "V",
                }
                for g, m in zip(grid, np.interp(grid, q, v), strict=True)
            ]
    return rows


def model_values(simulated: Result | None, obs: pd.DataFrame) -> np.ndarray:
    """The model's value for each observation row (NaN where the model has none)."""
    out = np.full(len(obs), np.nan)
    if simulated is None:
        return out
    cycles = simulated.cycles.set_index(CYCLE)
    mass = float(simulated.meta["cam_mass_g"])
    for (name, c, direction), rows in obs.groupby(["target", "cycle", "direction"], sort=False):
        idx = rows.index.to_numpy()
        column = TARGETS[name].column
        if column is not None:
            out[idx] = cycles[column].get(c, np.nan)
            continue
        q, v = voltage_curve(simulated.timeseries, c, direction, mass)
        if q.size >= 2:
            out[idx] = np.interp(rows["capacity_mAh_g"].to_numpy(), q, v)
    return out


def residual_table(obs: pd.DataFrame, model: np.ndarray) -> pd.DataFrame:
    """Observations with model values, errors and scaled residuals (`RESIDUAL_COLUMNS`)."""
    table = obs.copy()
    table["model"] = model
    table["error"] = table["model"] - table["measured"]
    table["scaled_residual"] = table["error"] / table["tolerance"]
    return table[list(RESIDUAL_COLUMNS)]


def load_measured(
    path: str | Path, mass_mg: float | None = None, fmt: str | None = None
) -> Result | pd.DataFrame:
    """A measured file for `fit_cell`: a per-cycle CSV (``*_cycles.csv`` of
    ``drysheet analyze`` / ``simulate``: a header with ``cycle`` and
    ``discharge_capacity_mAh_g``) as a DataFrame, else a cycler file read with
    `read_cycler` as a `Result` (CAM mass from ``mass_mg`` or the file)."""
    from drysheet.analysis.readers import read_cycler

    path = Path(path)
    if not path.is_file():
        raise DrysheetInputError(f"{path}: file not found")
    if fmt is None and path.suffix.lower() == ".csv":
        try:
            header = set(pd.read_csv(path, nrows=0).columns)
        except (ValueError, UnicodeDecodeError):
            header = set()
        if {CYCLE, "discharge_capacity_mAh_g"} <= header:
            table = pd.read_csv(path)
            table.attrs["source"] = str(path)
            return table
    ts = read_cycler(path, fmt=fmt)
    stored = ts.attrs.get("cam_mass_g")
    if mass_mg is not None:
        mass_g = require_number("--mass-mg", mass_mg) / 1000.0
    elif isinstance(stored, Real) and np.isfinite(stored) and stored > 0:
        mass_g = float(stored)
    else:
        raise DrysheetInputError(
            f"{path}: the file stores no cathode active material mass; pass it (--mass-mg)"
        )
    meta = {"source": str(path), "format": ts.attrs.get("format")}
    return Result.from_timeseries(ts, mass_g, meta=meta)
