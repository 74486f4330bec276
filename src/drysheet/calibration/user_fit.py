"""Fit chosen cell-model constants to a user's measured cycling data (``drysheet fit``).

What is fitted: any of the calibrated cell-model constants listed by
`fittable_parameters()` (bounds from their `FitParameter` metadata, optionally
narrowed), for one cell run through one protocol by `Simulator`; every other
constant stays at the stored calibration (`calibrated_constants()`).

How: the residuals are (model - measured) / tolerance of the observations of
`drysheet.calibration.user_observations` (capacities, Coulomb efficiency, optionally
voltage curves). A model run that fails, or misses a cycle, counts as a miss of
`FAILED_RESIDUAL` tolerances. `least_squares.fit` minimises the sum of squares (bounded
trust region, Latin-hypercube starts plus one at the stored calibration); the 1-sigma
uncertainties and the correlation matrix come from its Jacobian covariance.

>>> fitted = fit_cell(cell, get_protocol("first-cycles"), measured_result,
...                   ["NCM85 stoichiometry scale"])
>>> print(fitted.describe()); fitted.write("fit-out")
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
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
from drysheet.calibration.user_observations import (
    DEFAULT_TARGETS,
    TARGETS,
    cycle_span,
    cycle_table,
    model_values,
    observations,
    residual_table,
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
FAILED_RESIDUAL = 50.0  # a failed run / missing cycle counts as a miss of 50 tolerances


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
        measured = cycle_span(sorted(int(c) for c in cycle_table(self.measured)[CYCLE]))
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
                f"{len(part)} points, cycles {cycle_span(sorted(part['cycle'].unique()))}"
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
    table = cycle_table(measured)
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
