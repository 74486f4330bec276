"""Exact gradients of a cell's first-cycle observables for calibration.

The observables the first-cycle fit (``drysheet.calibration.cell_fit``) matches,
first charge and discharge capacity Q_c, Q_d [mAh/g] and Coulomb efficiency
CE = 100 Q_d / Q_c [%], and their derivatives with respect to calibrated constants q:

1. The calibrated constants enter the model as ``[input]`` parameters p, directly
   or through `drysheet.model.parameters.cell_inputs` (the coating suppression
   factor becomes the outer-surface oxidation factor of coated CAM; the SE size
   exponent enters the cathode's ionic conductivity). dp/dq is the central
   difference of that algebraic map with a relative step of `INPUT_STEP`
   (truncation ~h^2, rounding ~1e-16/h: both ~1e-10 of the derivative).
2. IDAKLU's forward sensitivities s = dy/dp of the inputs that move, carried
   across the ends of the protocol's steps by
   `drysheet.numerics.EventSensitivitySolver`: a step that stops on a voltage
   cut-off ends at t_e(p), and PyBaMM 26.10 neither carries dt_e/dp into the next
   step nor reports it.
3. The capacity counter Q [A.h] (dQ/dt = I) is a state, so its total derivative at
   the end of a step is a row of `drysheet.numerics.step_end_sensitivities`; at
   constant current dQ/dp = I dt_e/dp, with dt_e/dp = -(dV/dp)/(dV/dt) at the
   cut-off. Each step's change dQ counts towards the charge (dQ < 0) or the
   discharge (dQ > 0), as `drysheet.result` counts intervals:
   Q_c = -sum dQ_charge / m, Q_d = sum dQ_discharge / m (m the CAM mass).
4. dCE/dp = CE (dQ_d/dp / Q_d - dQ_c/dp / Q_c); dX/dq = sum_i dX/dp_i dp_i/dq.

Checked against central finite differences on all nine study cells in
``tests/test_sensitivities.py`` (docs/speed.md, "Exact gradients"); the cell fit takes
them with ``--exact-gradients`` (``drysheet.calibration.cell_fit``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pybamm

from drysheet.cell import Cell
from drysheet.model.parameters import calibrated_constants, cell_inputs
from drysheet.numerics import SOLVER_OPTIONS, step_end_sensitivities
from drysheet.protocols import Protocol, study_protocol
from drysheet.simulate import SimulationError, Simulator

log = logging.getLogger(__name__)

INPUT_STEP = 1e-6  # relative step of dp/dq (module docstring, 1.)
# Inputs solved for on their own: with them in the solve, IDAS's sensitivity corrector
# keeps failing (max. 40 Newton iterations, then a smaller step) and every input's
# sensitivities pay for the extra steps. Coated sheet-sheet cell, first cycle, CPU s:
# the 12 constants of the cell fit in one solve 34.5; the 11 others 1.9 + this one 1.7.
ISOLATED_INPUTS = ("NCM85 stoichiometry scale",)
CAPACITY_STATE = "Discharge capacity [A.h]"  # the model's counter dQ/dt = I
# A solve whose states do not stay finite is repeated with the algebraic states (the
# voltage) in IDA's error test (class docstring)
ALGEBRAIC_ERROR_OPTIONS = {**SOLVER_OPTIONS, "suppress_algebraic_error": False}
FIRST_CYCLE = ("first_charge_mAh_g", "first_discharge_mAh_g", "first_ce_pct")


def input_jacobian(cell: Cell, calibrated: dict[str, float], names: Sequence[str]) -> pd.DataFrame:
    """dp/dq: the model inputs p that move with the calibrated constants q (rows) per
    q in ``names`` (columns); inputs that move with none are left out."""
    columns = {}
    for name in names:
        h = INPUT_STEP * max(abs(calibrated[name]), 1.0)
        up = cell_inputs(cell, {**calibrated, name: calibrated[name] + h})
        down = cell_inputs(cell, {**calibrated, name: calibrated[name] - h})
        columns[name] = {k: (up[k] - down[k]) / (2 * h) for k in up}
    jac = pd.DataFrame(columns, columns=list(names))
    return jac.loc[(jac != 0).any(axis=1)]


class GradientSimulator:
    """First-cycle observables of cells with their exact derivatives (module docstring).

    >>> values, jac = GradientSimulator().first_cycle(cell, calibrated, names)

    ``protocol`` (default the study's first cycle) and ``settings`` (`Simulator`'s) as
    for `Simulator`; one built simulator per set of inputs differentiated (a coated and
    an uncoated cell need different ones when the coating factor is among ``names``).

    With `drysheet.numerics.SOLVER_OPTIONS` the voltage, an algebraic state, is outside
    IDA's error test, and where a discharge ends on the steep wall of the NCM85 potential
    at full lithiation (the coated+C65 cells) a sensitivity solve can step past the 2.3 V
    cut-off into surface Li fractions above 1, where the exchange current density
    sqrt(sto (1 - sto)) is NaN; the event is then never seen and the step runs its 16 h
    limit on NaN states (coated+C65 sheet-sheet, 6 of the 7 constants of the cell fit).
    Such a solve is repeated with the algebraic states in the error test
    (`ALGEBRAIC_ERROR_OPTIONS`; ~5x slower, so not by default).
    """

    def __init__(self, protocol: Protocol | None = None, **settings) -> None:
        self.protocol = protocol or study_protocol().truncated(1)
        self._settings = settings
        self._built: dict[tuple[tuple[str, ...], bool], Simulator] = {}

    def simulator(self, inputs: tuple[str, ...] = (), algebraic_error: bool = False) -> Simulator:
        """The built `Simulator` with sensitivities for ``inputs`` (none: a plain one);
        ``algebraic_error``: with `ALGEBRAIC_ERROR_OPTIONS`."""
        key = (inputs, algebraic_error)
        if key not in self._built:
            settings = dict(self._settings)
            if algebraic_error:
                settings["solver_options"] = ALGEBRAIC_ERROR_OPTIONS
            self._built[key] = Simulator(self.protocol, sensitivities=inputs, **settings)
        return self._built[key]

    def first_cycle(
        self, cell: Cell, calibrated: dict[str, float] | None, names: Sequence[str]
    ) -> tuple[pd.Series, pd.DataFrame]:
        """`FIRST_CYCLE` values and their derivatives d/dq (rows `FIRST_CYCLE`, columns
        ``names``, per unit of each constant). Raises `SimulationError` when the first
        cycle cannot be solved."""
        cal = calibrated or calibrated_constants()
        dp_dq = input_jacobian(cell, cal, names)
        inputs = sorted(dp_dq.index)
        groups = [tuple(p for p in inputs if p not in ISOLATED_INPUTS)]
        groups += [(p,) for p in inputs if p in ISOLATED_INPUTS]
        solved = [self._group(cell, cal, group) for group in groups]
        d_dp = pd.concat([d for _, d in solved], axis=1)[inputs].to_numpy()
        d_dq = d_dp @ dp_dq.loc[inputs].to_numpy()
        values = solved[0][0]
        return values, pd.DataFrame(d_dq, index=list(FIRST_CYCLE), columns=list(names))

    def _group(
        self, cell: Cell, cal: dict[str, float], group: tuple[str, ...]
    ) -> tuple[pd.Series, pd.DataFrame]:
        """Values and d/dp of one solve with sensitivities for ``group`` (class docstring)."""
        for algebraic_error in (False, True):
            try:
                solution = self.simulator(group, algebraic_error).solve(cell, cal)
            except pybamm.SolverError as err:
                raise SimulationError(f"{cell.label}: cycle 1 could not be solved: {err}") from err
            if _finite(solution):
                return _first_cycle(solution, cell.cam_mass_g, cell.label)
            log.info("%s: sensitivities of %s not finite, solving again", cell.label, group)
        raise SimulationError(f"{cell.label}: cycle 1's states or sensitivities are not finite")


def first_cycle_gradients(
    cell: Cell, calibrated: dict[str, float] | None, names: Sequence[str], **settings
) -> tuple[pd.Series, pd.DataFrame]:
    """`GradientSimulator.first_cycle` of one cell (builds the simulator)."""
    return GradientSimulator(**settings).first_cycle(cell, calibrated, names)


def _first_cycle(
    solution: pybamm.Solution | None, cam_mass_g: float, label: str
) -> tuple[pd.Series, pd.DataFrame]:
    """Values and d/dp of `FIRST_CYCLE` from a sensitivity solution (module docstring)."""
    steps = [
        s
        for s in (solution.cycles[0].steps if solution else [])
        if not isinstance(s, pybamm.EmptySolution)
    ]
    if not steps:
        raise SimulationError(f"{label}: cycle 1 has no solved step")
    names = steps[0].sensitivity_names
    charge, discharge = np.zeros(1 + len(names)), np.zeros(1 + len(names))
    for step in steps:
        first, last = step.first_state, step.last_state
        k, scale = _capacity_index(step.all_models[-1])
        start = np.r_[first.all_ys[0][k, 0], _sensitivities(first)[k] if names else []]
        end = np.r_[last.all_ys[0][k, 0], step_end_sensitivities(step)[k] if names else []]
        change = scale * (end - start)  # value and d/dp of this step's dQ [A.h]
        if change[0] < 0:
            charge -= change
        else:
            discharge += change
    if charge[0] <= 0 or discharge[0] <= 0:
        raise SimulationError(f"{label}: cycle 1 has no charge or no discharge")
    ce = 100 * discharge[0] / charge[0]
    to_mAh_g = 1e3 / cam_mass_g
    rows = np.vstack(
        [
            charge * to_mAh_g,
            discharge * to_mAh_g,
            np.r_[ce, ce * (discharge[1:] / discharge[0] - charge[1:] / charge[0])],
        ]
    )
    values = pd.Series(rows[:, 0], index=list(FIRST_CYCLE))
    return values, pd.DataFrame(rows[:, 1:], index=list(FIRST_CYCLE), columns=names)


def _finite(solution: pybamm.Solution | None) -> bool:
    """Whether every solved step of the first cycle ends on finite states and sensitivities."""
    steps = solution.cycles[0].steps if solution else []
    return all(
        np.isfinite(s.last_state.all_ys[0]).all()
        and (not s.sensitivity_names or np.isfinite(_sensitivities(s.last_state)).all())
        for s in steps
        if not isinstance(s, pybamm.EmptySolution)
    )


def _sensitivities(state: pybamm.Solution) -> np.ndarray:
    return np.asarray(state._all_sensitivities["all"][0])


def _capacity_index(model: pybamm.BaseModel) -> tuple[int, float]:
    """Index of the capacity counter in the state vector and its scale (y = Q / scale)."""
    for var, slices in model.y_slices.items():
        if var.name == CAPACITY_STATE:
            return slices[0].start, float(var.scale.evaluate())
    raise ValueError(f"{model.name!r} has no state {CAPACITY_STATE!r}")


def build_gradient_simulator(protocol: Protocol) -> GradientSimulator:
    """A pool worker's `GradientSimulator` (``build`` of `drysheet.pool.SimulatorPool.imap`)."""
    return GradientSimulator(protocol)


def first_cycle_task(
    simulator: GradientSimulator, job: tuple[Cell, dict[str, float], tuple[str, ...]]
) -> tuple[pd.Series, pd.DataFrame] | str:
    """Pool task: `GradientSimulator.first_cycle` of (cell, calibrated, names), or the error
    message of a cell that cannot be solved."""
    cell, calibrated, names = job
    try:
        return simulator.first_cycle(cell, calibrated, names)
    except SimulationError as err:
        return str(err)
