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
  times e^`RATE_STEP`, against the reproduced run: the slopes dq/dln R. A row's value at
  draw i is q + sum_R dq/dln R (ln R_i - ln R), R_i the rate at the draw's constants,
  and its interval the 5th and 95th percentile of those. Rows: retention (all ten
  cells), fade from isolated CAM and the rest of the fade. Linear in the rates, and
  only the uncertainty of the constants that act through them (the rates also move
  with the transport constants' draws, through the layer's electronic conductivity).
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
from drysheet.instruments.dems import DEMS_WINDOWS_V, dems_cell, dems_protocol_for, run_dems
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
from drysheet.study.observables import Observable

DEFAULT_DRAWS = 32
PERCENTILES = (5.0, 95.0)  # the 90 % interval
# The draws' runs are cheaper than the reproduced values' (numerics.DEFAULT_MESH 15 x 10,
# rtol 1e-6): 12 x 8 and rtol 1e-5 cost 0.74 of the CPU; each row's interval is its value
# times the draws' spread relative to the run at the stored constants with the same
# settings (`DrawOutcome.band`), which cancels the settings' own error. Checked against
# the default settings on 8 draws x 4 cells: intervals' ends within 2.1 mAh/g (a draw that
# halves the capacity) and 0.4 CE points.
DRAW_MESH = (12, 8)
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
) -> DrawOutcome:
    """For every draw: each cell through `rate_test_protocol` (`_rate_task` on ``build``'s
    simulators) and, with ``dems``, both virtual DEMS cells (`_dems_task` on
    `dems_draw_simulator`), all on one `SimulatorPool` (local, or the Dask ``scheduler``)."""
    outcome = DrawOutcome(len(draws))
    constants = [None, *draws.cell]  # first the reference: the stored constants
    jobs = [(key, cell, c) for c in constants for key, cell in cells.items()]
    with SimulatorPool(rate_test_protocol(rate_cycles), scheduler=scheduler, build=build) as pool:
        runs = pool.imap(_rate_task, jobs, progress, desc="draws (rate test)")
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


@dataclass
class LongBlockSpread:
    """Draws of the 100-cycle rows, linearised in the `MECHANISMS` rates: ``samples`` per
    row key, the slopes dq/dln(rate) (``slopes[key][mechanism]``) and the failed runs."""

    samples: dict[str, np.ndarray] = field(default_factory=dict)
    slopes: dict[str, dict[str, float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def band(self, key: str) -> tuple[float, float] | None:
        """The 5th and 95th percentile of the row's draws (None without)."""
        if key not in self.samples:
            return None
        low, high = np.percentile(self.samples[key], PERCENTILES)
        return float(low) + 0.0, float(high) + 0.0


def long_block_spread(
    cells: dict[tuple[str, str], Cell],
    results: dict[tuple[str, str], Result],
    draws: PosteriorDraws,
    pool: SimulatorPool,
    progress: bool = False,
    rate_cycles: int = RATE_CYCLES,
    build: Callable[[Protocol], object] = build_simulator,
) -> LongBlockSpread:
    """The 100-cycle rows of ``results`` (the runs at the stored constants) at each draw,

        q_i = q + sum_M dq/dln(R_M) (ln R_M(draw i) - ln R_M(stored)),

    R_M the `MECHANISMS` rates, dq/dln(R_M) a forward difference: one more run of the
    cell (study protocol, ``build``'s simulators on ``pool``) with ``lead`` times
    e^`RATE_STEP`. A rate that is zero or negligible in a cell (`NEGLIGIBLE_RATE`) is not
    run: its slope is 0. A cell with a failed run gets no draws (``failures``)."""
    keys = [k for k in cells if k in results]
    rates = mechanism_rates({k: cells[k] for k in keys}, [None, *draws.cell])
    largest = np.max([r[0] for r in rates.values()], axis=0)
    stored = calibrated_constants()
    values = {k: long_block_values(k, results[k]) for k in keys}
    jobs = [
        (k, j)
        for k in keys
        for j, m in enumerate(MECHANISMS)
        if rates[k][0, j] > NEGLIGIBLE_RATE * largest[j]
    ]
    runs = pool.imap(
        _long_block_task,
        [
            (k, cells[k], {MECHANISMS[j].lead: stored[MECHANISMS[j].lead] * math.exp(RATE_STEP)})
            for k, j in jobs
        ],
        progress,
        desc="100-cycle rates",
        protocol=study_protocol(rate_cycles=rate_cycles),
        build=build,
    )
    spread = LongBlockSpread()
    slopes = {k: np.zeros((len(values[k]), len(MECHANISMS))) for k in keys}
    failed = set()
    for i, out in runs:
        k, j = jobs[i]
        if isinstance(out, dict) and set(values[k]) <= set(out):
            slopes[k][:, j] = [(out[row] - v) / RATE_STEP for row, v in values[k].items()]
        else:
            why = out.reason if isinstance(out, WorkerLost) else str(out) or "rows missing"
            spread.failures.append(f"{cells[k].label}, {MECHANISMS[j].name} rate scaled: {why}")
            failed.add(k)
    names = [m.name for m in MECHANISMS]
    for k in set(keys) - failed:
        active = rates[k][0] > 0  # a rate that is zero here has no logarithm and no slope
        d_ln = np.zeros((len(draws), len(MECHANISMS)))
        d_ln[:, active] = np.log(rates[k][1:, active] / rates[k][0, active])
        for row, (key, v) in enumerate(values[k].items()):
            spread.samples[key] = v + d_ln @ slopes[k][row]
            spread.slopes[key] = dict(zip(names, slopes[k][row].tolist(), strict=True))
    return spread


def with_spread(rows: list[Observable], spread: LongBlockSpread) -> list[Observable]:
    """``rows`` with ``low``/``high`` from ``spread`` wherever it has draws of the key."""
    out = []
    for r in rows:
        band = spread.band(r.key)
        out.append(r if band is None else replace(r, low=band[0], high=band[1]))
    return out
