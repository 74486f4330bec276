"""Fit chosen cell-model constants to a user's measured cycling data (``drysheet fit``).

What is fitted: any of the calibrated cell-model constants listed by
`fittable_parameters()` (bounds from their `FitParameter` metadata, optionally
narrowed), for one cell run through one protocol by `Simulator`; every other
constant stays at the stored calibration (`calibrated_constants()`).

How: for each cycle present in the measured data, in the protocol and in the
chosen cycles, the residuals are (model - measured) / tolerance of

* the discharge capacity (5 mAh/g), the Coulomb efficiency (1.5 % points) and,
  if chosen, the charge capacity (5 mAh/g);
* optionally (target ``"voltage"``) the charge and discharge voltage curves of
  chosen cycles: the measured voltage at `VOLTAGE_POINTS` specific capacities
  spread evenly over 2-98 % of the measured half-cycle's capacity, against the
  model's voltage interpolated at the same capacities (held at its last value
  past the model's end of charge/discharge), scaled by 10 mV.

A model run that fails, or misses a cycle, counts as a miss of `FAILED_RESIDUAL`
tolerances. `least_squares.fit` minimises the sum of squares (bounded trust
region, Latin-hypercube starts plus one at the stored calibration); the 1-sigma
uncertainties and the correlation matrix come from its Jacobian covariance.

>>> fitted = fit_cell(cell, get_protocol("first-cycles"), measured_result,
...                   ["NCM85 stoichiometry scale"])
>>> print(fitted.describe()); fitted.write("fit-out")
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from numbers import Real
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from tqdm.auto import tqdm

from drysheet.analysis.plots import save
from drysheet.calibration.least_squares import (
    FitParameter,
    FitResult,
    calibration_document,
    describe,
    fit,
    registry_parameters,
)
from drysheet.cell import Cell
from drysheet.errors import DrysheetInputError, require_number
from drysheet.model.parameters import calibrated_constants
from drysheet.protocols import Protocol
from drysheet.result import CYCLE, DIRECTIONS, Result, voltage_curve
from drysheet.simulate import DEFAULT_MESH, SimulationError, Simulator

#: Calibrations whose parameters (drysheet.model.registry) `fit_cell` may fit: those the
#: cell model reads. A parameter becomes fittable by being declared ``calibrated`` there.
CELL_MODEL_FITS: tuple[str, ...] = ("cell_fit", "retention_fit")


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
FAILED_RESIDUAL = 50.0  # a failed run / missing cycle counts as a miss of 50 tolerances
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


def fittable_parameters() -> dict[str, FitParameter]:
    """Name -> `FitParameter` of every constant `fit_cell` can fit: the calibrated
    parameters of `CELL_MODEL_FITS`, as the parameter registry declares them."""
    return {p.name: p for fit_name in CELL_MODEL_FITS for p in registry_parameters(fit_name)}


def _allowed(registry: Mapping[str, FitParameter]) -> str:
    return "; ".join(f"'{n}' [{p.lower:g}, {p.upper:g}] {p.unit}" for n, p in registry.items())


def resolve_parameter(name: str, registry: Mapping[str, FitParameter] | None = None) -> str:
    """The registry name for ``name``: exact, or a unique case-insensitive prefix."""
    registry = registry if registry is not None else fittable_parameters()
    if name in registry:
        return name
    matches = [n for n in registry if n.lower().startswith(name.strip().lower())]
    if len(matches) == 1 and name.strip():
        return matches[0]
    why = (
        f"matches {len(matches)} parameters" if len(matches) > 1 else "is not a fittable parameter"
    )
    raise DrysheetInputError(f"parameter {name!r} {why}; allowed: {_allowed(registry)}")


def fit_parameters(
    names: Sequence[str], bounds: Mapping[str, tuple[float, float]] | None = None
) -> list[FitParameter]:
    """`FitParameter`s for ``names`` (validated), with optionally narrowed ``bounds``."""
    registry = fittable_parameters()
    if isinstance(names, str) or not names:
        raise DrysheetInputError(
            f"parameters: give a list of one or more names; allowed: {_allowed(registry)}"
        )
    resolved = [resolve_parameter(n, registry) for n in names]
    dupes = sorted({n for n in resolved if resolved.count(n) > 1})
    if dupes:
        raise DrysheetInputError(f"parameters: {dupes} given more than once")
    params = {n: registry[n] for n in resolved}
    for given, (lo, hi) in (bounds or {}).items():
        name = resolve_parameter(given, registry)
        if name not in params:
            raise DrysheetInputError(
                f"bounds: {name!r} is not among the fitted parameters {list(params)}"
            )
        p = params[name]
        lo, hi = (require_number(f"bounds for {name!r}", b, minimum=-math.inf) for b in (lo, hi))
        if not p.lower <= lo < hi <= p.upper:
            raise DrysheetInputError(
                f"bounds for {name!r}: [{lo}, {hi}] must be increasing numbers within the "
                f"allowed range [{p.lower:g}, {p.upper:g}] {p.unit}"
            )
        params[name] = replace(p, lower=float(lo), upper=float(hi))
    return list(params.values())


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


def _cycle_table(measured: Result | pd.DataFrame) -> pd.DataFrame:
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


def _span(cycles: Sequence[int]) -> str:
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
    table, notes = _cycle_table(measured), []
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
        chosen_text = f", chosen cycles {_span(sorted(wanted))}" if wanted is not None else ""
        raise DrysheetInputError(
            f"no cycle to fit: the measured data has cycles {_span(measured_cycles)} with "
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
        notes.append(f"measured cycles {_span(extra)} are beyond the protocol; not fitted")
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


@dataclass
class CellFit:
    """A finished `fit_cell`: the fit (values, 1-sigma, cost), correlation matrix,
    residual table, the model run at the best fit, and how it was set up."""

    result: FitResult
    correlation: pd.DataFrame
    residuals: pd.DataFrame
    simulated: Result | None
    measured: Result | pd.DataFrame
    cell: Cell
    protocol: Protocol
    targets: tuple[str, ...]
    tolerances: dict[str, float]
    constants: dict[str, float]
    settings: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def values(self) -> dict[str, float]:
        return self.result.values

    @property
    def std(self) -> dict[str, float]:
        return self.result.std

    @property
    def calibrated(self) -> dict[str, float]:
        """All cell-model constants with the fitted ones: ``Simulator.run(calibrated=...)``."""
        return {**self.constants, **self.result.values}

    def describe(self) -> str:
        """Fitted values +- 1-sigma, correlations, RMS errors per target, notes."""
        measured = _span(sorted(int(c) for c in _cycle_table(self.measured)[CYCLE]))
        fitted = ", ".join(str(c) for c in sorted(self.residuals["cycle"].unique()))
        lines = [
            f"fitted cycles {fitted} of the measured {measured}, simulated through protocol "
            f"{self.protocol.name!r} (cycles 1-{self.protocol.n_cycles})"
            + ("; the notes below say why others were left out" if self.notes else ""),
            describe(self.result),
        ]
        if len(self.correlation) > 1:
            lines.append("correlation matrix (order as above):")
            lines += ["  " + " ".join(f"{x:6.2f}" for x in row) for row in self.correlation.values]
        for name, part in self.residuals.groupby("target", sort=False):
            rms = float(np.sqrt(np.mean(part["error"] ** 2)))
            lines.append(
                f"  {name}: RMS error {rms:.3g} {part['unit'].iloc[0]} over "
                f"{len(part)} points, cycles {_span(sorted(part['cycle'].unique()))}"
            )
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def calibration_document(self, produced_by: str) -> dict:
        """The calibration record (format of data/cell_calibration.yaml) plus the fit's
        set-up (cell, protocol, cycles, targets, settings), the correlation matrix and
        all cell-model constants of the fitted model."""
        residuals: dict[str, dict[str, float]] = {}
        for (name, c, direction), part in self.residuals.groupby(
            ["target", "cycle", "direction"], sort=False
        ):
            if name == "voltage":
                err = part["error"].to_numpy(dtype=float)
                residuals[f"voltage/cycle {c}/{direction}"] = {
                    "rms_error": float(np.sqrt(np.nanmean(err**2))),
                    "max_abs_error": float(np.nanmax(np.abs(err))),
                    "points": len(part),
                }
            else:
                row = part.iloc[0]
                residuals[f"{name}/cycle {c}"] = {
                    "model": float(row["model"]),
                    "target": float(row["measured"]),
                    "error": float(row["error"]),
                }
        definition = "(model - measured) / tolerance; " + ", ".join(
            f"{t} {self.tolerances[t]:g} {TARGETS[t].unit}" for t in self.targets
        )
        doc = calibration_document(self.result, produced_by, definition, residuals)
        names = list(self.correlation.index)
        doc.update(
            cell=self.cell.label,
            protocol=self.protocol.name,
            protocol_definition=self.protocol.model_dump(mode="json"),
            cycles=sorted(int(c) for c in self.residuals["cycle"].unique()),
            targets=list(self.targets),
            settings=self.settings,
            correlation={a: {b: _num(self.correlation.loc[a, b]) for b in names} for a in names},
            constants={k: float(v) for k, v in self.calibrated.items()},
            notes=list(self.notes),
        )
        return doc

    def write(self, out_dir: str | Path, produced_by: str = "drysheet fit") -> dict[str, Path]:
        """Write calibration.yaml, fit_residuals.csv and fit_overlay.png into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "calibration": out / "calibration.yaml",
            "residuals": out / "fit_residuals.csv",
            "overlay": out / "fit_overlay.png",
        }
        doc = self.calibration_document(produced_by)
        paths["calibration"].write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
        self.residuals.to_csv(paths["residuals"], index=False)
        save(fit_overlay_figure(self), paths["overlay"])
        return paths


def _num(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def fit_cell(
    cell: Cell,
    protocol: Protocol,
    measured: Result | pd.DataFrame,
    parameters: Sequence[str],
    *,
    targets: Sequence[str] = DEFAULT_TARGETS,
    cycles: Sequence[int] | None = None,
    voltage_cycles: Sequence[int] | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    tolerances: Mapping[str, float] | None = None,
    initial: Mapping[str, float] | None = None,
    n_starts: int = 4,
    seed: int = 0,
    mesh: tuple[int, int] = DEFAULT_MESH,
    max_nfev: int | None = None,
    fd_step: float = 1e-2,
    progress: bool = False,
) -> CellFit:
    """Fit ``parameters`` (names from `fittable_parameters()`) so that ``cell`` run
    through ``protocol`` matches ``measured`` (a `Result`, or a cycle table with
    ``cycle`` and the target columns) over the cycles present in both.

    ``targets``: keys of `TARGETS`; ``cycles`` limits the fitted cycles;
    ``voltage_cycles`` the voltage curves (default: all fitted cycles). ``bounds``
    narrow the metadata bounds; ``tolerances`` override `TARGETS` tolerances.
    Starts: ``initial`` (default: the stored calibration, clipped to the bounds)
    plus ``n_starts`` Latin-hypercube points. ``fd_step``: finite-difference step of
    the Jacobian as a fraction of each parameter's (log10 where ``log``) bound range.
    ``progress`` shows a bar of model runs.
    """
    if not isinstance(cell, Cell):
        raise DrysheetInputError(f"cell: expected a drysheet Cell, got {type(cell).__name__}")
    params = fit_parameters(parameters, bounds)
    targets, tol, n_starts = _checked_settings(targets, tolerances, n_starts, mesh, voltage_cycles)
    obs, notes = observations(measured, protocol, targets, tol, cycles, voltage_cycles)
    constants = dict(calibrated_constants())
    start = _initial_values(params, constants, initial)

    sim = Simulator(protocol.truncated(int(obs["cycle"].max())), mesh=mesh)
    runs = _ModelRuns(sim, cell, constants, obs, progress)
    try:
        result = fit(
            runs.residuals,
            params,
            n_starts=n_starts,
            seed=seed,
            initial=start,
            max_nfev=max_nfev,
            range_step=fd_step,
        )
    finally:
        runs.bar.close()
    simulated = runs.run(result.values)
    notes += _diagnostics(result, simulated)
    return CellFit(
        result=result,
        correlation=_correlation_table(result),
        residuals=residual_table(obs, model_values(simulated, obs)),
        simulated=simulated,
        measured=measured,
        cell=cell,
        protocol=protocol,
        targets=targets,
        tolerances={t: tol[t] for t in targets},
        constants=constants,
        settings={
            "measured": _source(measured),
            "initial": start,
            "n_starts": n_starts,
            "seed": seed,
            "mesh": list(mesh),
            "fd_step": fd_step,
            "max_nfev": max_nfev,
        },
        notes=notes,
    )


class _ModelRuns:
    """The fit's model: one built `Simulator` re-solved for each set of values, its
    residuals in tolerance units (`FAILED_RESIDUAL` where the model has no value), and a
    progress bar of runs showing the best cost so far."""

    def __init__(
        self,
        sim: Simulator,
        cell: Cell,
        constants: Mapping[str, float],
        obs: pd.DataFrame,
        progress: bool,
    ):
        self.sim, self.cell, self.constants, self.obs = sim, cell, constants, obs
        self.bar = tqdm(desc="fit: model runs", unit="run", disable=not progress, leave=False)
        self.best_cost = np.inf

    def run(self, values: Mapping[str, float]) -> Result | None:
        try:
            return self.sim.run(self.cell, calibrated={**self.constants, **values})
        except SimulationError:
            return None

    def residuals(self, values: dict[str, float]) -> np.ndarray:
        model = model_values(self.run(values), self.obs)
        scaled = (model - self.obs["measured"].to_numpy()) / self.obs["tolerance"].to_numpy()
        r = np.nan_to_num(scaled, nan=FAILED_RESIDUAL)
        self.best_cost = min(self.best_cost, 0.5 * float(r @ r))
        self.bar.update()
        self.bar.set_postfix(best_cost=f"{self.best_cost:.4g}", refresh=False)
        return r


def _checked_settings(
    targets: Sequence[str],
    tolerances: Mapping[str, float] | None,
    n_starts: int,
    mesh: tuple[int, int],
    voltage_cycles: Sequence[int] | None,
) -> tuple[tuple[str, ...], dict[str, float], int]:
    """The fitted targets (checked, duplicates dropped), every target's tolerance
    (`TARGETS`' unless overridden) and the number of starts; checks the mesh and that
    voltage cycles come with the voltage target."""
    n_starts = int(require_number("n_starts", n_starts, allow_equal=True, integer=True))
    if len(mesh) != 2 or any(not isinstance(n, int) or n < 3 for n in mesh):
        raise DrysheetInputError(f"mesh: need two whole numbers (n_x, n_r) >= 3, got {mesh!r}")
    targets = tuple(dict.fromkeys(targets))
    unknown = [t for t in targets if t not in TARGETS]
    if unknown or not targets:
        raise DrysheetInputError(f"targets: {unknown or 'none'} given; allowed: {list(TARGETS)}")
    tol = {t: TARGETS[t].tolerance for t in TARGETS}
    for name, value in (tolerances or {}).items():
        if name not in TARGETS:
            raise DrysheetInputError(f"tolerances: {name!r} is none of {list(TARGETS)}")
        tol[name] = require_number(f"tolerances: {name}", value)
    if voltage_cycles is not None and "voltage" not in targets:
        raise DrysheetInputError("voltage_cycles given but 'voltage' is not among the targets")
    return targets, tol, n_starts


def _correlation_table(result: FitResult) -> pd.DataFrame:
    """The fitted parameters' correlation matrix, named (NaN when it is unknown)."""
    names = [p.name for p in result.parameters]
    corr = result.correlation
    return pd.DataFrame(
        corr if corr is not None else np.full((len(names), len(names)), np.nan),
        index=names,
        columns=names,
    )


def _source(measured: Result | pd.DataFrame) -> str:
    info = measured.meta if isinstance(measured, Result) else measured.attrs
    return str(info.get("source", "given in Python"))


def _initial_values(
    params: Sequence[FitParameter],
    constants: Mapping[str, float],
    initial: Mapping[str, float] | None,
) -> dict[str, float]:
    given = {resolve_parameter(k): v for k, v in (initial or {}).items()}
    start = {}
    for p in params:
        if p.name in given:
            start[p.name] = require_number(
                f"initial value of {p.name!r} ({p.unit}, within its bounds)",
                given.pop(p.name),
                minimum=p.lower,
                allow_equal=True,
                maximum=p.upper,
            )
        else:
            start[p.name] = float(np.clip(constants[p.name], p.lower, p.upper))
    if given:
        raise DrysheetInputError(f"initial: {list(given)} are not among the fitted parameters")
    return start


def _diagnostics(result: FitResult, simulated: Result | None) -> list[str]:
    """Notes on the model at the best fit (``simulated``; None if it failed) and on
    parameters at a bound or not determined by the data."""
    notes = []
    if simulated is None:
        notes.append("the model fails at the best fit; the residual table has no model values")
    elif simulated.status is not None and not simulated.status.ok:
        notes.append(f"model at the best fit: {simulated.status}")
    for p in result.parameters:
        lo, hi = p.internal_bounds
        z = p.to_internal(result.values[p.name])
        if min(z - lo, hi - z) <= 1e-3 * (hi - lo):
            notes.append(f"{p.name!r} ended at a bound; the data may want a value beyond it")
        s = result.std[p.name]
        sd_internal = s / (result.values[p.name] * np.log(10.0)) if p.log else s
        if not np.isfinite(s) or sd_internal > hi - lo:
            notes.append(f"{p.name!r} is barely determined by these data (1-sigma > its range)")
    if not result.success:
        notes.append(f"optimiser did not converge: {result.message}")
    return notes


def fit_overlay_figure(fitted: CellFit) -> Figure:
    """Measured (markers) vs fitted model (lines): discharge capacity and CE per cycle
    (fitted cycles filled), and voltage vs capacity of up to three fitted cycles when a
    time series was measured."""
    measured, simulated = fitted.measured, fitted.simulated
    has_curves = isinstance(measured, Result) and not measured.timeseries.empty
    fig = Figure(figsize=(11.0 if has_curves else 7.5, 4.0), layout="constrained")
    axes = fig.subplots(1, 3 if has_curves else 2)
    table = _cycle_table(measured)
    fitted_cycles = sorted(int(c) for c in fitted.residuals["cycle"].unique())
    used = table[CYCLE].isin(fitted_cycles)
    for ax, column, ylabel in (
        (axes[0], "discharge_capacity_mAh_g", "discharge capacity / mAh g$^{-1}$"),
        (axes[1], "coulomb_efficiency_pct", "Coulomb efficiency / %"),
    ):
        if column in table:
            ax.plot(table[CYCLE][used], table[column][used], "o", color="C0", label="measured")
            ax.plot(table[CYCLE][~used], table[column][~used], "o", color="C0", mfc="none",
                    label="measured, not fitted" if (~used).any() else None)  # fmt: skip
        if simulated is not None:
            c = simulated.cycles
            ax.plot(c[CYCLE], c[column], "-", color="k", lw=1.0, label="fitted model")
        ax.set_xlabel("cycle")
        ax.set_ylabel(ylabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].legend(fontsize="small")
    if has_curves:
        ax, cmap = axes[2], colormaps["viridis"]
        shown = fitted_cycles[:3]
        for n, c in enumerate(shown):
            colour = cmap(n / max(len(shown) - 1, 1))
            for direction in DIRECTIONS:
                q, v = voltage_curve(
                    measured.timeseries, c, direction, float(measured.meta["cam_mass_g"])
                )
                label = f"measured, cycle {c}" if direction == "charge" else None
                ax.plot(q, v, "o", ms=2.0, alpha=0.4, color=colour, label=label)
                if simulated is not None:
                    q, v = voltage_curve(
                        simulated.timeseries, c, direction, float(simulated.meta["cam_mass_g"])
                    )
                    model_label = "fitted model" if n == 0 and direction == "charge" else None
                    ax.plot(q, v, "-", lw=0.8, color="k", label=model_label)
        ax.set_xlabel("specific capacity / mAh g$^{-1}$")
        ax.set_ylabel("voltage / V")
        ax.legend(fontsize="small")
    n = fitted.protocol.n_cycles
    fig.suptitle(
        f"{fitted.cell.label}: measured vs fitted model "
        f"(protocol {fitted.protocol.name!r}, {n} cycle{'s' if n > 1 else ''})"
    )
    return fig


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


def parse_mesh(text: str) -> tuple[int, int]:
    """``"15x10"`` -> (15, 10): finite-volume points across the cathode and in a particle."""
    m = re.fullmatch(r"\s*(\d+)\s*[x,]\s*(\d+)\s*", text)
    if not m or min(int(m[1]), int(m[2])) < 3:
        raise DrysheetInputError(f"--mesh {text!r}: expected NXxNR with both >= 3, e.g. 15x10")
    return int(m[1]), int(m[2])


def load_calibration(*paths: str | Path) -> dict[str, float]:
    """All cell-model constants: the stored ones, updated by each calibration YAML in
    turn (later files win), each written by `CellFit.write` or by ``drysheet calibrate
    cell|retention``; for ``Simulator(...).run(cell, calibrated=...)``."""
    from drysheet.errors import load_yaml_mapping

    known = calibrated_constants()
    constants = dict(known)
    for path in paths:
        doc = load_yaml_mapping(path)
        params = doc.get("parameters")
        if not isinstance(params, dict):
            raise DrysheetInputError(f"{path}: no 'parameters' mapping (not a calibration file)")
        try:
            fitted = {name: float(entry["value"]) for name, entry in params.items()}
        except (TypeError, KeyError, ValueError):
            raise DrysheetInputError(f"{path}: every parameter needs a numeric 'value'") from None
        unknown = sorted(set(fitted) - set(known))
        if unknown:
            raise DrysheetInputError(
                f"{path}: unknown cell-model constant(s) {unknown} (transport and gas "
                f"calibrations do not apply here); allowed: {', '.join(known)}"
            )
        constants.update({**doc.get("constants", {}), **fitted})
    return constants


def parse_bound(text: str) -> tuple[str, tuple[float, float]]:
    """``"NAME=LO:HI"`` -> (NAME, (LO, HI)) for ``drysheet fit --bound``."""
    name, _, rng = text.rpartition("=")
    lo, sep, hi = rng.partition(":")
    try:
        if not name.strip() or not sep:
            raise ValueError
        return name.strip(), (float(lo), float(hi))
    except ValueError:
        raise DrysheetInputError(
            f"--bound {text!r}: expected NAME=LOWER:UPPER, "
            "e.g. 'NCM85 stoichiometry scale=0.88:0.95'"
        ) from None


def fit_command(
    measured_file: Path,
    cell: Cell,
    protocol: Protocol,
    parameters: Sequence[str],
    out: Path,
    *,
    mass_mg: float | None = None,
    fmt: str | None = None,
    cycles: str | None = None,
    voltage: bool = False,
    voltage_cycles: str | None = None,
    bounds: Sequence[str] = (),
    tolerances: Mapping[str, float] | None = None,
    n_starts: int = 4,
    seed: int = 0,
    mesh: tuple[int, int] = DEFAULT_MESH,
    max_nfev: int | None = None,
    produced_by: str = "drysheet fit",
    echo: Callable[[str], object] = print,
) -> CellFit:
    """``drysheet fit``: load, fit with a progress bar, write the outputs, print the summary."""
    measured = load_measured(measured_file, mass_mg, fmt)
    fitted = fit_cell(
        cell,
        protocol,
        measured,
        parameters,
        targets=(*DEFAULT_TARGETS, "voltage") if voltage else DEFAULT_TARGETS,
        cycles=parse_cycles(cycles) if cycles else None,
        voltage_cycles=parse_cycles(voltage_cycles) if voltage_cycles else None,
        bounds=dict(parse_bound(b) for b in bounds),
        tolerances=tolerances,
        n_starts=n_starts,
        seed=seed,
        mesh=mesh,
        max_nfev=max_nfev,
        progress=True,
    )
    paths = fitted.write(out, produced_by)
    echo(fitted.describe())
    echo(f"wrote {', '.join(str(p) for p in paths.values())}")
    return fitted
