"""90 % intervals of the reproduced observables: the model re-run for posterior draws.

`drysheet.model.posterior.draw_constants` draws the calibrated constants from the
stored calibrations' covariances; for each draw the study cells run again, and
each row's interval (``low``/``high`` of observables.csv) is its value times the
5th and 95th percentile of the draws' values over the value at the stored
constants, both run with the same settings. The row's ``value`` stays the run
at the stored constants.

* Formation and rate test (`run_draws`): the ten cells through the first
  2 + 4 x `RATE_CYCLES` cycles of the study protocol for the stored constants
  (the reference) and every draw, on a `SimulatorPool` (local or Dask) whose
  simulators record time, voltage and current only, on `DRAW_MESH` at
  `DRAW_RTOL`. A row's interval is its value times the 5th and 95th percentile
  of draw / reference (`DrawOutcome.band`): the cheaper settings' own error
  cancels in the ratio. Rows: first discharge, first and second CE, every rate
  step.
* DEMS (`run_draws`, on the same pool): both virtual DEMS cells for the stored
  constants and every draw of the cell model's and the gas model's constants, at
  the default settings (the 4.4 V charge needs them). Rows: charge,
  discharge, CE, state of charge, delithiation and the four gas amounts, each the
  5th and 95th percentile of the draws; SO2 detected, a flag, the 5th and 95th
  percentile of the flag (false < true: ``low`` is false once more than 5 % of the
  draws detect none; `DrawOutcome.flag_band`).
* 100 cycles (`long_block_spread`): a draw of the 100-cycle protocol costs ten times
  the rate test. The retention fit's constants act on the model only through two
  rates (`MECHANISMS`): fatigue, k_fat p_r^(m/2) (1 - eta_c lambda_c) w_e
  (`drysheet.model.fatigue.rate_factor`), and the anode's electron leak gamma_C n_P0.
  Each cell runs the study protocol once more per rate that acts in it, with the rate
  times e^`RATE_STEP`, against the reproduced run: the slopes in ln R. A loss's value at
  draw i (the fade, 100 - retention, and the isolated CAM) is linear in ln R_i - ln R,
  R_i the rate at the draw's constants, in the logarithm of its cumulative hazard
  -ln(1 - loss/100) (`loss_draws`: first-order losses; no draw outside 0-100 %), and its
  interval the 5th and 95th percentile of those. Rows: retention (all ten cells), fade
  from isolated CAM and the rest of the fade (fade less isolation, draw by draw). Only
  the uncertainty of the constants that act through the rates (the rates also move with
  the transport constants' draws, through the layer's electronic conductivity).
* Conductivities (`conductivity_ratios`): the transport model's conductivity for each
  draw of the transport constants over its value at the stored ones; the row's
  interval is its virtual measurement times the 5th and 95th percentile of
  that ratio (the instruments read the conductivity they are given).

A draw whose run does not complete (the solver stops, or the worker dies) gives
no values for that cell: it is counted per cell with its reason
(`DrawOutcome.failures`), and the percentiles are over the draws that completed.
A completed run that delivered no capacity keeps its capacities (0) but has no
CE: those draws are counted per row (`DrawOutcome.undefined`).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np
import pybamm

from drysheet import simulate
from drysheet.cell import Cell
from drysheet.instruments.dems import (
    DEMS_WINDOWS_V,
    DemsRun,
    dems_cell,
    dems_protocol_for,
    run_dems,
)
from drysheet.model import fatigue
from drysheet.model import registry as reg
from drysheet.model.gas import GasParameters, load_gas_parameters
from drysheet.model.parameters import calibrated_constants, cell_inputs, parameter_values
from drysheet.model.posterior import PosteriorDraws
from drysheet.pool import SimulatorPool, WorkerLost, build_simulator
from drysheet.protocols import RATE_TEST_C, Protocol, study_protocol
from drysheet.result import Result
from drysheet.simulate import SimulationError, Simulator
from drysheet.study.cycling import RATE_CYCLES, cycling_observables
from drysheet.study.degradation import breakdown_observables, mechanism_breakdown
from drysheet.study.long_block_store import RunStore, StoredRuns, fingerprint, write_store
from drysheet.study.observables import Observable

DEFAULT_DRAWS = 32
PERCENTILES = (5.0, 95.0)  # the 90 % interval
# The draws' runs are cheaper than the reproduced values' (numerics.DEFAULT_MESH 15 x 10,
# rtol 1e-6); each row's interval is its value times the draws' spread relative to the run
# at the stored constants with the same settings (`DrawOutcome.band`), which cancels the
# settings' own error. 12 x 8 and rtol 1e-5 cost 0.74 of the default's CPU (checked
# against the default settings on 8 draws x 4 cells: intervals' ends within 2.1 mAh/g and
# 0.4 CE points). 8 x 8 (fewer finite volumes across the cathode, the particle mesh kept)
# costs about 0.82 of 12 x 8; on the 32 draws x 10 cells of d0d5472 its intervals' ends
# moved by at most 0.68 (low) and 1.20 (high) mAh/g or CE points, within 1.5 times the
# Monte-Carlo error of the ends themselves (bootstrap: median 0.46 / 0.88), and their
# widths by -5.7 % to +11.7 % (median 0.0 %). 8 x 5 (0.72) narrowed 70 % of them, up to
# 21 % (1C of the slurry cell): not taken (docs/speed.md, Intervals).
DRAW_MESH = (8, 8)
DRAW_RTOL, DRAW_ATOL = 1e-5, 1e-7


def rate_test_protocol(rate_cycles: int = RATE_CYCLES) -> Protocol:
    """The study protocol up to the end of its rate test (formation + rate steps)."""
    return study_protocol(rate_cycles=rate_cycles).truncated(2 + rate_cycles * len(RATE_TEST_C))


def _quiet_worker() -> None:
    """Draws' runs that stop are counted and reported (`DrawOutcome`); in a pool worker
    their log warnings would flood the terminal, one line per failing draw."""
    logging.getLogger(simulate.__name__).setLevel(logging.ERROR)


def draw_simulator(protocol: Protocol) -> Simulator:
    """A pool worker's simulator for the rate-test draws: outputs only, `DRAW_MESH`,
    `DRAW_RTOL`."""
    _quiet_worker()
    return Simulator(protocol, mesh=DRAW_MESH, rtol=DRAW_RTOL, atol=DRAW_ATOL, states=False)


def dems_draw_simulator(protocol: Protocol) -> Simulator:
    """A pool worker's simulator for the DEMS draws (default settings: the gas submodel
    follows the recorded states, and the 4.4 V charge needs the default tolerance)."""
    _quiet_worker()
    return Simulator(protocol)


@dataclass
class DrawOutcome:
    """Values of each observable at the stored constants (``reference``) and over the
    draws that completed, run with the same settings, and what failed."""

    n_draws: int
    reference: dict[str, float] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)  # cell label -> reasons
    undefined: Counter[str] = field(default_factory=Counter)  # key -> draws without a value

    def add(self, values: dict[str, float], reference: bool = False) -> None:
        """One completed run's values (``reference``: the run at the stored constants); an
        undefined one (the CE of a cell that delivered no capacity) is left out of its
        row's percentiles and counted (`undefined`)."""
        for key, v in values.items():
            if reference:
                self.reference[key] = float(v)
            elif math.isfinite(v):
                self.samples.setdefault(key, []).append(float(v))
            else:
                self.undefined[key] += 1

    def fail(self, cell: str, reason: str) -> None:
        self.failures.setdefault(cell, []).append(reason)

    @property
    def n_failed(self) -> int:
        return sum(len(v) for v in self.failures.values())

    def band(self, key: str, value: float) -> tuple[float, float] | None:
        """The 90 % interval of a row of ``value``: ``value`` times the 5th and 95th
        percentile of the draws' values over the reference value (None without draws or
        a finite, non-zero reference)."""
        values, ref = self.samples.get(key), self.reference.get(key, math.nan)
        if not values or not math.isfinite(ref) or ref == 0:
            return None
        low, high = sorted(value * np.percentile(np.array(values) / ref, PERCENTILES))
        return float(low) + 0.0, float(high) + 0.0  # + 0.0: no "-0" in the CSV

    def flag_band(self, key: str) -> tuple[bool, bool] | None:
        """The 90 % interval of a flag (``samples`` 1.0 where it holds): its 5th and 95th
        percentile over the draws (false < true), from the draws themselves, which run at
        the settings of the row's value (DEMS). None without draws."""
        values = self.samples.get(key)
        if not values:
            return None
        low, high = np.percentile(values, PERCENTILES, method="inverted_cdf")
        return bool(low), bool(high)

    def without_band(self) -> list[str]:
        """Keys of the reference runs that no draw gave a value for (every draw failed or
        left it undefined): their rows get no interval."""
        return [k for k in self.reference if not self.samples.get(k)]

    def failure_lines(self) -> list[str]:
        """One line per cell with failed draws: how many, and the reasons counted."""
        return [
            f"{cell}: {len(reasons)} of {self.n_draws} draws failed ("
            + "; ".join(f"{n} x {why}" for why, n in Counter(reasons).most_common())
            + ")"
            for cell, reasons in self.failures.items()
        ]


def _completed(result: Result) -> str | None:
    """None if the run completed, else why not (a failed draw)."""
    return None if result.status.kind == "completed" else result.status.message


def _rate_task(sim: Simulator, job: tuple[tuple[str, str], Cell, dict[str, float]]):
    """One cell for one draw: its formation and rate-test observables, or why it failed."""
    key, cell, calibrated = job
    try:
        result = sim.run(cell, calibrated=calibrated)
    except SimulationError as err:
        return str(err)
    return _completed(result) or {o.key: o.value for o in cycling_observables(key, result)}


def nominal_dems(pool: SimulatorPool, architecture: str) -> DemsRun:
    """The virtual DEMS of ``architecture`` at the stored constants, on a worker of
    ``pool`` (the simulator the draws' DEMS runs use: built once per worker)."""
    [(_, run)] = pool.imap(
        _nominal_dems_task,
        [architecture],
        protocol=dems_protocol_for(architecture),
        build=dems_draw_simulator,
    )
    if isinstance(run, WorkerLost):
        raise SimulationError(f"{dems_cell(architecture).label}: {run.reason}")
    return run


def _nominal_dems_task(sim: Simulator, architecture: str) -> DemsRun:
    return run_dems(architecture, simulator=sim)


def _dems_task(sim: Simulator, job: tuple[str, dict[str, float], GasParameters]):
    """The virtual DEMS of one architecture for one draw: its numeric observables."""
    architecture, calibrated, gas = job
    try:
        run = run_dems(architecture, parameters=gas, calibrated=calibrated, simulator=sim)
    except SimulationError as err:
        return str(err)
    return _completed(run.result) or {
        f"dems/{architecture}/{name}": float(v) for name, v in run.observables().items()
    }  # a flag as 1.0 / 0.0 (`DrawOutcome.flag_band`)


def _collect(
    outcome: DrawOutcome,
    outcomes: Iterator[tuple[int, object]],
    labels: list[str],
    n_reference: int,
) -> None:
    """Each task's values, or its failure under its job's cell label, into ``outcome``;
    the first ``n_reference`` jobs are the runs at the stored constants."""
    for i, out in outcomes:
        what = "the run at the stored constants: " if i < n_reference else ""
        if isinstance(out, WorkerLost):
            outcome.fail(labels[i], what + out.reason)
        elif isinstance(out, str):
            outcome.fail(labels[i], what + out.removeprefix(f"{labels[i]}: "))
        else:
            outcome.add(out, reference=i < n_reference)


def run_draws(
    cells: dict[tuple[str, str], Cell],
    draws: PosteriorDraws,
    scheduler: str | None = None,
    progress: bool = False,
    rate_cycles: int = RATE_CYCLES,
    build: Callable[[Protocol], object] = draw_simulator,
    dems: bool = True,
    pool: SimulatorPool | None = None,
) -> DrawOutcome:
    """For every draw: each cell through `rate_test_protocol` (`_rate_task` on ``build``'s
    simulators) and, with ``dems``, both virtual DEMS cells (`_dems_task` on
    `dems_draw_simulator`), all on ``pool`` (default: a `SimulatorPool` of their own,
    local or on the Dask ``scheduler``)."""
    outcome = DrawOutcome(len(draws))
    constants = [None, *draws.cell]  # first the reference: the stored constants
    jobs = [(key, cell, c) for c in constants for key, cell in cells.items()]
    protocol = rate_test_protocol(rate_cycles)
    own = pool is None
    pool = pool or SimulatorPool(protocol, scheduler=scheduler, build=build)
    try:
        runs = pool.imap(
            _rate_task, jobs, progress, desc="draws (rate test)", protocol=protocol, build=build
        )
        _collect(outcome, runs, [cell.label for _, cell, _ in jobs], len(cells))
        for architecture in DEMS_WINDOWS_V if dems else ():
            gas = [load_gas_parameters(), *draws.gas]
            dems_jobs = [(architecture, c, g) for c, g in zip(constants, gas, strict=True)]
            runs = pool.imap(
                _dems_task,
                dems_jobs,
                progress,
                desc=f"draws (DEMS {architecture})",
                protocol=dems_protocol_for(architecture),
                build=dems_draw_simulator,
            )
            _collect(outcome, runs, [dems_cell(architecture).label] * len(dems_jobs), 1)
    finally:
        if own:
            pool.close()
    return outcome


def with_bands(rows: list[Observable], outcome: DrawOutcome) -> list[Observable]:
    """``rows`` with ``low``/``high`` from ``outcome`` wherever it has values of the key."""
    out = []
    for r in rows:
        flag = isinstance(r.value, bool)
        band = outcome.flag_band(r.key) if flag else outcome.band(r.key, r.value)
        out.append(r if band is None else replace(r, low=band[0], high=band[1]))
    return out


def scaled_bands(rows: list[Observable], ratios: dict[str, np.ndarray]) -> list[Observable]:
    """``rows`` whose key has draws of ``ratios`` (model at a draw / model at the stored
    constants) with ``low``/``high`` = value times the ratio's 5th and 95th percentile."""
    out = []
    for r in rows:
        if r.key in ratios:
            lo, hi = np.percentile(ratios[r.key], PERCENTILES)
            r = replace(r, low=float(r.value * lo), high=float(r.value * hi))
        out.append(r)
    return out


LONG_BLOCK_ROWS = ("retention_100/", "fade_isolation/", "fade_kinetic/")
RATE_STEP = 0.1  # forward difference in ln(rate): the run with the rate times e^0.1
# a mechanism whose rate in a cell is below this share of its largest rate over the cells
# does nothing there to first order (the sheet-sheet cells' fatigue: (81/437)^15 ~ 1e-11)
NEGLIGIBLE_RATE = 1e-6


@dataclass(frozen=True)
class Mechanism:
    """A rate through which calibrated constants act on the long C/5 block: ``rate()`` a
    parameter expression (constants and per-cell inputs, no states), proportional to the
    calibrated constant ``lead``, which the finite-difference run scales."""

    name: str
    rate: Callable[[], pybamm.Symbol]
    lead: str


def _leak_rate() -> pybamm.Symbol:
    """gamma_C n_P0: the anode's electron leak per unit of the carbon share of the separator
    PTFE reduced (drysheet.model.anode_interphase), zero without separator PTFE."""
    return reg.LEAK_CONDUCTANCE.parameter() * reg.ANODE_INITIAL_PTFE.parameter()


#: the retention fit's constants enter the model only through these rates
MECHANISMS = (
    Mechanism("fatigue", fatigue.rate_factor, reg.FATIGUE_COEFFICIENT.name),
    Mechanism("anode leak", _leak_rate, reg.LEAK_CONDUCTANCE.name),
)
MECHANISMS_BY_NAME = {m.name: m for m in MECHANISMS}


def long_block_values(key: tuple[str, str], result: Result) -> dict[str, float]:
    """The 100-cycle rows of one cell's study-protocol run: its retention and fade split."""
    rows = [o for o in cycling_observables(key, result) if o.key.startswith(LONG_BLOCK_ROWS)]
    rows += breakdown_observables(mechanism_breakdown({key: result}))
    return {o.key: float(o.value) for o in rows}


def _long_block_task(sim: Simulator, job: tuple[tuple[str, str], Cell, dict[str, float]]):
    """One cell through the study protocol with a scaled rate: its 100-cycle rows."""
    key, cell, calibrated = job
    try:
        result = sim.run(cell, calibrated=calibrated)
    except SimulationError as err:
        return str(err)
    return _completed(result) or long_block_values(key, result)


def mechanism_rates(
    cells: dict[tuple[str, str], Cell], constants: list[dict[str, float] | None]
) -> dict[tuple[str, str], np.ndarray]:
    """Each cell's `MECHANISMS` rates (columns) for each set of ``constants`` (rows; None:
    the stored ones), from the model's own parameter expressions."""
    values = parameter_values()
    rates = [values.process_symbol(m.rate()) for m in MECHANISMS]
    return {
        key: np.array(
            [[float(r.evaluate(inputs=cell_inputs(cell, c))) for r in rates] for c in constants]
        )
        for key, cell in cells.items()
    }


def loss_draws(loss_pct: float, scaled_pct: np.ndarray, d_ln: np.ndarray) -> np.ndarray:
    """Draws of a capacity loss L (% of the block's first C/5 discharge: the fade, or the
    share of CAM isolated) from its value, its values ``scaled_pct`` in the runs with each
    rate times e^`RATE_STEP` (the value itself where a rate was not run) and the draws'
    changes ``d_ln`` of the rates' logarithms (draws x rates).

    Propagated in the cumulative hazard Lambda = -ln(1 - L/100), linear in the logarithm
    of its logarithm:

        ln Lambda_i = ln Lambda + sum_R (ln Lambda_R - ln Lambda) / RATE_STEP d_ln R_i,
        L_i = 100 (1 - e^-Lambda_i)   (in (0, 100) for every draw).

    Why this space: the model's capacity losses are first order. Fatigue isolates CAM as
    phi_conn = e^-zeta with dzeta/dt proportional to the fatigue rate
    (`drysheet.model.fatigue`), so over the block -ln(phi_end / phi_start) = Delta zeta and
    ln Delta zeta moves one to one with the rate's logarithm (slope 1, exact at a fixed
    strain history); capacity lost to resistance growth likewise multiplies the remaining
    share, so the hazards of the mechanisms add. Linear propagation of L itself let the
    slurry cell's retention reach 100.25 %; here no draw loses a negative share nor more
    than all of it. A loss outside (0, 100) % in the value or a scaled run (a cell that
    gained capacity, or lost none) has no hazard to take the logarithm of: it is
    propagated linearly, L_i = L + sum_R (L_R - L) / RATE_STEP d_ln R_i."""
    scaled_pct = np.asarray(scaled_pct, dtype=float)
    if not (0 < loss_pct < 100 and np.all((scaled_pct > 0) & (scaled_pct < 100))):
        return loss_pct + d_ln @ ((scaled_pct - loss_pct) / RATE_STEP)
    hazard = -np.log1p(-loss_pct / 100)
    slopes = (np.log(-np.log1p(-scaled_pct / 100)) - np.log(hazard)) / RATE_STEP
    return -100 * np.expm1(-hazard * np.exp(d_ln @ slopes))


@dataclass
class LongBlockSpread:
    """Draws of the 100-cycle rows, from their values in runs with each `MECHANISMS`
    rate scaled (``scaled[key][mechanism]``, where that rate was run): ``samples`` per
    row key, the failed runs, and where the runs came from (``source``, in words)."""

    samples: dict[str, np.ndarray] = field(default_factory=dict)
    scaled: dict[str, dict[str, float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    source: str = ""

    def band(self, key: str) -> tuple[float, float] | None:
        """The 5th and 95th percentile of the row's draws (None without)."""
        if key not in self.samples:
            return None
        low, high = np.percentile(self.samples[key], PERCENTILES)
        return float(low) + 0.0, float(high) + 0.0


def long_block_draws(
    key: tuple[str, str], values: dict[str, float], scaled: np.ndarray, d_ln: np.ndarray
) -> dict[str, np.ndarray]:
    """One cell's 100-cycle rows at each draw: the retention (through its fade
    100 - retention) and the isolated CAM by `loss_draws`; the rest of the fade is the
    fade's change less the isolation's, as its value is the fade less the isolation.
    ``values``: the rows (`long_block_values`); ``scaled``: their values in the runs with
    each rate scaled (rows in ``values``' order x `MECHANISMS`)."""
    f, a = key
    rows = dict(zip(values, scaled, strict=True))
    retention, isolation, kinetic = (f"{p}{f}/{a}" for p in LONG_BLOCK_ROWS)
    out = {}
    if retention in values:
        fade = loss_draws(100 - values[retention], 100 - rows[retention], d_ln)
        out[retention] = 100 - fade
    if isolation in values:
        out[isolation] = loss_draws(values[isolation], rows[isolation], d_ln)
    if {retention, isolation, kinetic} <= set(values):
        d_fade = values[retention] - out[retention]
        out[kinetic] = values[kinetic] + d_fade - (out[isolation] - values[isolation])
    return out


def long_block_spread(
    cells: dict[tuple[str, str], Cell],
    results: dict[tuple[str, str], Result],
    draws: PosteriorDraws,
    pool: SimulatorPool,
    progress: bool = False,
    rate_cycles: int = RATE_CYCLES,
    build: Callable[[Protocol], object] = build_simulator,
    store: RunStore | None = None,
) -> LongBlockSpread:
    """The 100-cycle rows of ``results`` (the runs at the stored constants) at each draw
    (`long_block_draws`), from one more run of the cell per `MECHANISMS` rate (study
    protocol, ``build``'s simulators on ``pool``) with ``lead`` times e^`RATE_STEP`, and
    the draws' changes of the rates' logarithms ln R_M(draw i) - ln R_M(stored). A rate
    that is zero or negligible in a cell (`NEGLIGIBLE_RATE`) is not run: the rows do not
    move with it. A cell with a failed run gets no draws (``failures``).

    ``store``: runs stored for this model and calibration are taken from it instead
    (`drysheet.study.long_block_store`), and new ones written to it when none failed."""
    keys = [k for k in cells if k in results]
    rates = mechanism_rates({k: cells[k] for k in keys}, [None, *draws.cell])
    largest = np.max([r[0] for r in rates.values()], axis=0)
    stored = calibrated_constants()
    values = {k: long_block_values(k, results[k]) for k in keys}
    active = {
        k: [
            m.name
            for j, m in enumerate(MECHANISMS)
            if rates[k][0, j] > NEGLIGIBLE_RATE * largest[j]
        ]
        for k in keys
    }
    model_print = fingerprint(rate_cycles) if store else ""
    found = store.find(model_print) if store else None
    runs: dict[tuple[str, str], dict[str, dict[str, float]]] = {}
    for k in keys:
        rows = found.rows(k, values[k], active[k]) if found else None
        if rows is not None:
            runs[k] = rows
    jobs = [(k, MECHANISMS_BY_NAME[m]) for k in keys if k not in runs for m in active[k]]
    outcomes = pool.imap(
        _long_block_task,
        [(k, cells[k], {m.lead: stored[m.lead] * math.exp(RATE_STEP)}) for k, m in jobs],
        progress,
        desc="100-cycle rates",
        protocol=study_protocol(rate_cycles=rate_cycles),
        build=build,
    )
    spread = LongBlockSpread(source=_source(found, len(runs), len(keys)))
    failed = set()
    for i, out in outcomes:
        k, m = jobs[i]
        if isinstance(out, dict) and set(values[k]) <= set(out):
            runs.setdefault(k, {})[m.name] = {row: out[row] for row in values[k]}
        else:
            why = out.reason if isinstance(out, WorkerLost) else str(out) or "rows missing"
            spread.failures.append(f"{cells[k].label}, {m.name} rate scaled: {why}")
            failed.add(k)
    if jobs and not failed and store is not None and store.write is not None:
        write_store(
            store.write, model_print, {k: {"reference": values[k], **runs.get(k, {})} for k in keys}
        )
        spread.source += f"; written to {store.write}"
    for k in set(keys) - failed:
        # a rate not run leaves the rows at their values
        scaled = np.array(
            [[runs.get(k, {}).get(m.name, values[k])[row] for m in MECHANISMS] for row in values[k]]
        )
        for row in values[k]:
            for name, rows in runs.get(k, {}).items():
                spread.scaled.setdefault(row, {})[name] = rows[row]
        positive = rates[k][0] > 0  # a rate that is zero here has no logarithm and no slope
        d_ln = np.zeros((len(draws), len(MECHANISMS)))
        d_ln[:, positive] = np.log(rates[k][1:, positive] / rates[k][0, positive])
        spread.samples.update(long_block_draws(k, values[k], scaled, d_ln))
    return spread


def _source(found: StoredRuns | None, reused: int, cells: int) -> str:
    """Where a `LongBlockSpread`'s runs came from, in words."""
    if not reused:
        return "run now" + ("" if found else " (no stored runs for this model and calibration)")
    return (
        f"stored runs ({found.path.name}, made {found.date} for the same model code, data "
        f"and solver versions) reused for {reused} of {cells} cells"
        + (
            ""
            if reused == cells
            else "; the others run now (their runs at the stored constants differ)"
        )
    )


def with_spread(rows: list[Observable], spread: LongBlockSpread) -> list[Observable]:
    """``rows`` with ``low``/``high`` from ``spread`` wherever it has draws of the key."""
    out = []
    for r in rows:
        band = spread.band(r.key)
        out.append(r if band is None else replace(r, low=band[0], high=band[1]))
    return out
