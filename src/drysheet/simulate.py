"""Run cells through protocols with drysheet's PyBaMM model and return `Result`s.

One `Simulator` builds the model and the pybamm.Experiment once; every cell
is then a re-solve with new ``[input]`` parameters (no rebuild). A solver
failure mid-protocol does not lose the run: the cycles completed so far are
returned, and ``result.status`` (a `RunStatus`) says at which cycle and step it
stopped and why, and whether the cell delivered any capacity.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import sys
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pybamm
from tqdm.auto import tqdm

from drysheet.cell import Cell
from drysheet.errors import DrysheetInputError
from drysheet.model.parameters import cell_inputs, parameter_values
from drysheet.model.ssb_half_cell import ALL_SUBMODELS, Particle, SolidStateHalfCell, Submodel
from drysheet.numerics import (
    DEFAULT_ATOL,
    DEFAULT_MESH,
    DEFAULT_RTOL,
    PARTICLE_STRETCH,
    idaklu_solver,
    submesh_types,
)
from drysheet.protocols import Protocol
from drysheet.result import Result, RunStatus

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_ATOL", "DEFAULT_MESH", "DEFAULT_RTOL", "SimulationError", "Simulator"]

PROGRESS_MIN_CYCLES = 20  # longer runs show a progress bar by default (Simulator.run)

# Scalar model states recorded at the end of every cycle (Result.extras["cycle_states"]);
# those in TRACED_STATES also along the run (Result.extras["states"], one row per time
# point: what the gas submodel follows). Evaluating a variable over every step costs
# about as much as a fifth of the solve, so the rest are read at cycle ends only.
STATE_VARIABLES = {
    "average_li_fraction": ("Average Li fraction", 1.0),
    "side_reaction_charge_mAh": ("Side-reaction charge [A.h]", 1e3),
    "film_resistance_ohm_cm2": ("Average film resistance [Ohm.m2]", 1e4),
    "contact_retained": ("Average CAM contact retained", 1.0),
    "connected_cam": ("Average connected CAM fraction", 1.0),
    "anode_interphase_ohm_cm2": ("Anode interphase resistance [Ohm.m2]", 1e4),
    "anode_ptfe_umol_cm2": ("Anode interfacial PTFE [mol.m-2]", 1e2),
    "cam_oxidation_charge_C_m2": ("Average CAM|SE oxidation charge [C.m-2]", 1.0),
    "carbon_oxidation_charge_C_m2": ("Average carbon|SE oxidation charge [C.m-2]", 1.0),
}
TRACED_STATES = ("average_li_fraction", "side_reaction_charge_mAh", "contact_retained")
OUTPUTS = ["Time [s]", "Voltage [V]", "Cell current [A]"]  # what every Result needs


class _StepEndsCarried(logging.Filter):
    """Drops PyBaMM's warning, at the first solve with sensitivities, that a protocol step
    stopping on an event makes them "inaccurate": PyBaMM does not move the step ends with
    the inputs, but the `drysheet.numerics.EventSensitivitySolver` a `Simulator` with
    sensitivities solves with does (checked against finite differences in
    tests/test_sensitivities.py). Set on pybamm's logger during `Simulator.solve` only."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Sensitivity calculation will be inaccurate" not in record.getMessage()


_STEP_ENDS_CARRIED = _StepEndsCarried()


class SimulationError(RuntimeError):
    """The model could not run a cell at all (not even the first step)."""


class Simulator:
    """A built model + protocol that solves any number of cells.

    >>> sim = Simulator(study_protocol().truncated(2))
    >>> result = sim.run(study_cell("coated", "sheet-sheet"))

    ``submodels`` are the model's mechanisms (`SolidStateHalfCell`);
    ``degradation=False`` leaves out fatigue and the anode interphase.
    ``solver_options``: IDAKLU options (default `drysheet.numerics.SOLVER_OPTIONS`);
    ``particle_stretch``: surface clustering of the particle mesh (`submesh_types`);
    ``particle``: the particle model (`SolidStateHalfCell`: shells or a polynomial profile).
    ``states=False`` records no model states (no ``Result.extras``): the solver then
    keeps only time, voltage and current, in a fraction of the memory and time.
    ``sensitivities``: names of ``[input]`` parameters whose forward sensitivities
    `solve` computes (`drysheet.numerics.EventSensitivitySolver`; `drysheet.sensitivities`).
    """

    def __init__(
        self,
        protocol: Protocol,
        mesh: tuple[int, int] = DEFAULT_MESH,
        rtol: float = DEFAULT_RTOL,
        atol: float = DEFAULT_ATOL,
        degradation: bool = True,
        submodels: Iterable[Submodel] = ALL_SUBMODELS,
        solver_options: dict | None = None,
        states: bool = True,
        particle_stretch: float = PARTICLE_STRETCH,
        sensitivities: Sequence[str] = (),
        particle: Particle = "shells",
    ):
        self.protocol = protocol
        self.sensitivities = tuple(sensitivities)
        self.model = SolidStateHalfCell(
            *mesh, submodels=submodels, degradation=degradation, particle=particle
        )
        self._settings = {
            "mesh": mesh,
            "rtol": rtol,
            "atol": atol,
            "degradation": degradation,
            "solver_options": solver_options,
            "states": states,
            "particle_stretch": particle_stretch,
            "particle": particle,
        }
        self._sim = pybamm.Simulation(
            self.model,
            parameter_values=parameter_values(),
            submesh_types=submesh_types(particle_stretch),
            experiment=protocol.experiment(),
            solver=idaklu_solver(
                rtol,
                atol,
                solver_options,
                output_variables=None if states else OUTPUTS,
                sensitivities=bool(self.sensitivities),
            ),
        )

    def solve(
        self,
        cell: Cell,
        calibrated: dict[str, float] | None = None,
        callbacks: list[pybamm.callbacks.Callback] | None = None,
    ) -> pybamm.Solution | None:
        """The raw pybamm solution of one cell (with the `sensitivities` asked for);
        `run` turns it into a `Result`. Raises pybamm.SolverError as pybamm does."""
        if self.protocol.temperature_C is not None:
            cell = cell.model_copy(update={"temperature_C": self.protocol.temperature_C})
        kwargs = {"calculate_sensitivities": list(self.sensitivities)} if self.sensitivities else {}
        pybamm.logger.addFilter(_STEP_ENDS_CARRIED)
        try:
            return self._sim.solve(
                inputs=cell_inputs(cell, calibrated), callbacks=callbacks, **kwargs
            )
        finally:
            pybamm.logger.removeFilter(_STEP_ENDS_CARRIED)

    def run(
        self,
        cell: Cell,
        calibrated: dict[str, float] | None = None,
        progress: bool | None = None,
    ) -> Result:
        """Simulate one cell through the protocol.

        ``calibrated`` overrides the stored calibrated constants (used by fits).
        ``progress``: a bar of the protocol's cycles on stderr; by default shown for
        protocols of more than `PROGRESS_MIN_CYCLES` cycles run from a terminal by
        the main process (not by pool workers, not under pytest's captured output).
        """
        tracker = _CycleTracker(self.protocol.n_cycles, cell.label, progress)
        try:
            solution = self.solve(cell, calibrated, callbacks=[tracker])
        except pybamm.SolverError as err:
            tracker.close(tracker.cycle - 1)
            return self._keep_completed_cycles(cell, calibrated, tracker.cycle, err)
        tracker.close(len(solution.cycles) if solution is not None else 0)
        if solution is None:
            raise SimulationError(f"{cell.label}: no step of the protocol could be solved")
        return self._to_result(cell, solution)

    def _keep_completed_cycles(
        self, cell: Cell, calibrated: dict[str, float] | None, failed_cycle: int, err: Exception
    ) -> Result:
        """pybamm raises (returning nothing) when a whole cycle is infeasible: re-run the
        cycles before it and report where and why the protocol stopped."""
        if failed_cycle <= 1:
            raise SimulationError(f"{cell.label}: cycle 1 could not be solved: {err}") from err
        done = failed_cycle - 1
        rerun = Simulator(
            self.protocol.truncated(done), submodels=self.model.submodels, **self._settings
        )
        result = rerun.run(cell, calibrated)
        label = self.protocol.cycle_labels()[failed_cycle - 1]
        stopped = RunStatus("stopped", str(err), cycle=failed_cycle, label=label)
        result.status = dataclasses.replace(stopped, no_capacity=result.status.no_capacity)
        log.warning("%s: %s", cell.label, result.status)
        return result

    def _to_result(self, cell: Cell, solution: pybamm.Solution) -> Result:
        labels = self.protocol.cycle_labels()
        recorded = {
            n: v
            for n, v in STATE_VARIABLES.items()
            if self._settings["states"] and v[0] in self.model.variables
        }
        # one row block per solved step, in solution order; each variable is evaluated once
        # over the whole solution (per-step evaluation costs ~1 ms of set-up per step)
        blocks = [
            (k, step) for k, cycle in enumerate(solution.cycles) for step in _solved_steps(cycle)
        ]
        lengths = [len(step.t) for _, step in blocks]
        cycle_of = np.repeat([k + 1 for k, _ in blocks], lengths)

        def column(var: str, scale: float = 1.0) -> np.ndarray:
            return solution[var].entries * scale

        time_s = column("Time [s]")
        if len(time_s) != len(cycle_of):
            raise SimulationError(
                f"{cell.label}: solution has {len(time_s)} time points, steps {len(cycle_of)}"
            )
        ts = pd.DataFrame(
            {
                "time_s": time_s,
                "voltage_V": column("Voltage [V]"),
                "current_A": column("Cell current [A]", -1.0),  # charge positive
                "step": np.repeat(np.arange(len(blocks)), lengths),
                "cycle": cycle_of,
                "label": np.asarray(labels, dtype=object)[cycle_of - 1],
            }
        )
        values = {name: column(var, scale) for name, (var, scale) in recorded.items()}
        traced = pd.DataFrame(
            {"time_s": time_s, **{n: v for n, v in values.items() if n in TRACED_STATES}}
        )
        cycle_end = np.flatnonzero(np.diff(cycle_of, append=-1))  # last row of each cycle
        states = pd.DataFrame(
            {"cycle": cycle_of[cycle_end], **{n: v[cycle_end] for n, v in values.items()}}
        )
        ts = ts.drop_duplicates(subset=["time_s", "step"], keep="first").reset_index(drop=True)
        status = self._status(solution, labels)
        meta = {
            "cell": cell.label,
            "formulation": cell.formulation.name,
            "architecture": cell.architecture,
            "protocol": self.protocol.name,
            "cam_mass_g": cell.cam_mass_g,
            "area_cm2": cell.area_cm2,
            "source": "simulation",
            "solver_steps": solution.solver_statistics.number_of_steps,
        }
        result = Result.from_timeseries(ts, cell.cam_mass_g, meta=meta, status=status)
        if not result.status.ok:
            log.warning("%s: %s", cell.label, result.status)
        if recorded:
            result.extras["cycle_states"] = states
            result.extras["states"] = traced
        return result

    def _status(self, solution: pybamm.Solution, labels: list[str]) -> RunStatus:
        planned = self.protocol.pybamm_cycles()
        n_done = len(solution.cycles)
        last = solution.cycles[-1]
        solved = _solved_steps(last)
        # pybamm keeps a step that was past its limit from the start as an EmptySolution
        # (a cycler would end it at once and go on); a solver failure drops the rest.
        if n_done == len(planned) and len(last.steps) == len(planned[-1]):
            empty = [
                k + 1 for k, c in enumerate(solution.cycles) if len(_solved_steps(c)) < len(c.steps)
            ]
            note = f"steps past their limit at the start, ended at once, in cycles {empty}"
            return RunStatus("completed", note if empty else "")
        why = solved[-1].termination if solved else solution.termination
        return RunStatus(
            "stopped",
            f"{why} after {len(solved)} of {len(planned[n_done - 1])} steps",
            cycle=n_done,
            step=len(solved),
            label=labels[n_done - 1],
        )


class _CycleTracker(pybamm.callbacks.Callback):
    """Remembers which protocol cycle pybamm is in (for failure reports) and shows it
    as a progress bar (``progress`` as in `Simulator.run`)."""

    def __init__(self, n_cycles: int, label: str, progress: bool | None) -> None:
        self.cycle = 0
        if progress is None:
            progress = (
                n_cycles > PROGRESS_MIN_CYCLES
                and multiprocessing.parent_process() is None
                and sys.stderr.isatty()
            )
        self._bar = tqdm(total=n_cycles, desc=label, unit="cycle", disable=not progress)

    def on_cycle_start(self, logs) -> None:
        self.cycle = logs["cycle number"][0]
        self._bar.update(self.cycle - 1 - self._bar.n)

    def close(self, n_done: int) -> None:
        self._bar.update(n_done - self._bar.n)
        self._bar.close()


def _solved_steps(cycle: pybamm.Solution) -> list[pybamm.Solution]:
    return [s for s in cycle.steps if not isinstance(s, pybamm.EmptySolution)]


def simulate(cell: Cell, protocol: Protocol, **kwargs) -> Result:
    """Simulate one cell through a protocol (builds a `Simulator`)."""
    if not isinstance(cell, Cell):
        raise DrysheetInputError(f"cell: expected a drysheet Cell, got {type(cell).__name__}")
    return Simulator(protocol, **kwargs).run(cell)
