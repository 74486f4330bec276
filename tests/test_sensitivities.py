"""Exact first-cycle gradients against central finite differences.

Reference: the same model solved with rtol 1e-8 (atol 1e-10) and the algebraic states
in IDA's error test (`ALGEBRAIC_ERROR_OPTIONS`), central differences in
the fit's internal coordinates (log10 where the fit is in log space) with a step of
`REL_STEP` of each parameter's internal bound range: large enough that the observables
move by >= 1e-2 mAh/g for every parameter that matters (1e3-1e4 times the reference's
event-time noise, ~1e-6 mAh/g), small enough that the curvature error stays below
1e-4 of the derivative. With the voltage outside the error test (the default
`SOLVER_OPTIONS`) the 2.3 V cut-off of the coated+C65 cells, on the steep wall of the
NCM85 potential, moves by up to 5e-4 mAh/g from one parameter value to the next as IDA's
step sequence changes (1e-5 with it), and such differences were off by 4 % (d first
discharge / d log10 q_pass of coated+C65 sheet-powder: -1.493 at this step, -1.435 at
a third of it and by the sensitivities).

Agreement: within `RTOL` of the finite difference, or below `FLOOR` per internal unit
(derivatives the fit cannot see: 1e-3 mAh/g per decade is 2e-4 of the capacity
tolerance). dCE = CE (dQ_d/Q_d - dQ_c/Q_c) is a difference of two terms up to 300 times
larger than itself (NCM85 stoichiometry scale, pressing fracture), so its `RTOL` is of
the larger of |dCE| and those terms: 1 % of what the capacities' derivatives give it.
IDAS keeps the sensitivities out of its error test (IDASetSensErrCon is never called;
the default is off), and a 0.1 % error in d Q_d (uncoated powder-powder, pressing
fracture, 6 inputs in one solve) is 14 % of that cell's dCE.
"""

import numpy as np
import pandas as pd
import pytest

from drysheet.calibration.cell_fit import PARAMETERS
from drysheet.cell import study_cell
from drysheet.model.parameters import calibrated_constants
from drysheet.protocols import study_protocol
from drysheet.sensitivities import (
    ALGEBRAIC_ERROR_OPTIONS,
    FIRST_CYCLE,
    GradientSimulator,
    input_jacobian,
)
from drysheet.simulate import Simulator
from drysheet.study.cells import STUDY_CELLS

REL_STEP = 1e-3
FLOOR = 1e-3
RTOL = 0.01
# a fast subset: log and linear inputs, one that sets an initial state (pressing fracture);
# the route through cell_inputs is checked by test_input_jacobian_follows_the_constants...
FAST = (
    "CAM|SE oxidation rate constant [A.m-2]",
    "Decomposition contact loss coefficient",
    "Pressing fracture at the assembly pressure",
    "NCM85 diffusivity drop [decades]",
)


def _finite_differences(cell, names) -> pd.DataFrame:
    sim = Simulator(
        study_protocol().truncated(1),
        rtol=1e-8,
        atol=1e-10,
        solver_options=ALGEBRAIC_ERROR_OPTIONS,
    )
    cal = calibrated_constants()

    def observed(values):
        row = sim.run(cell, values).cycles.iloc[0]
        return np.array([row[c] for c in _RESULT_COLUMNS])

    out = {}
    for p in [p for p in PARAMETERS if p.name in names]:
        z = p.to_internal(cal[p.name])
        h = REL_STEP * (p.internal_bounds[1] - p.internal_bounds[0])
        up, down = (observed({**cal, p.name: p.to_value(z + s)}) for s in (h, -h))
        out[p.name] = (up - down) / (2 * h)
    return pd.DataFrame(out, index=list(FIRST_CYCLE))


_RESULT_COLUMNS = ("charge_capacity_mAh_g", "discharge_capacity_mAh_g", "coulomb_efficiency_pct")


def _exact(cell, names) -> tuple[pd.Series, pd.DataFrame]:
    cal = calibrated_constants()
    values, jac = GradientSimulator().first_cycle(cell, cal, names)
    per_internal = {p.name: cal[p.name] * np.log(10) if p.log else 1.0 for p in PARAMETERS}
    return values, jac * pd.Series({n: per_internal[n] for n in names})


def _check(cell, names) -> None:
    values, exact = _exact(cell, names)
    fd = _finite_differences(cell, names)
    reference = Simulator(study_protocol().truncated(1)).run(cell).cycles.iloc[0]
    # 1e-4: a solve repeated with the voltage in the error test ends its discharge up to
    # 3e-3 mAh/g (1.4e-5) from the default one (coated+C65 sheet-sheet)
    assert values.to_numpy() == pytest.approx([reference[c] for c in _RESULT_COLUMNS], rel=1e-4)
    scale = fd.abs()
    terms = values["first_ce_pct"] * (
        fd.loc["first_discharge_mAh_g"].abs() / values["first_discharge_mAh_g"]
        + fd.loc["first_charge_mAh_g"].abs() / values["first_charge_mAh_g"]
    )
    scale.loc["first_ce_pct"] = np.maximum(scale.loc["first_ce_pct"], terms)
    miss = (exact - fd).abs() - (RTOL * scale + FLOOR)
    assert (miss <= 0).all().all(), (
        f"exact\n{exact.to_string()}\nfinite differences\n{fd.to_string()}"
    )


def test_first_cycle_gradients_match_finite_differences(caplog):
    _check(study_cell("coated", "sheet-sheet"), FAST)
    # PyBaMM's warning that steps ending on events make them inaccurate is filtered: the
    # EventSensitivitySolver carries the step ends, which _check has just confirmed
    assert "Sensitivity calculation will be inaccurate" not in caplog.text


def test_c65_gradients_match_finite_differences():
    """The cell whose sensitivity solve of 6 inputs steps past the 2.3 V cut-off into NaN
    states unless it is repeated with the voltage in the error test (`GradientSimulator`)."""
    _check(study_cell("coated+C65", "sheet-sheet"), [p.name for p in PARAMETERS])


@pytest.mark.slow
@pytest.mark.parametrize("key", STUDY_CELLS, ids=["/".join(k) for k in STUDY_CELLS])
def test_all_cell_fit_gradients_match_finite_differences(key):
    _check(study_cell(*key), [p.name for p in PARAMETERS])


def test_input_jacobian_follows_the_constants_into_the_derived_inputs():
    cal = calibrated_constants()
    coated = input_jacobian(
        study_cell("coated", "sheet-sheet"), cal, ["Coating suppression factor"]
    )
    assert coated.loc["CAM outer-surface oxidation factor"].iloc[0] == pytest.approx(1.0)
    bare = input_jacobian(
        study_cell("uncoated", "sheet-sheet"), cal, ["Coating suppression factor"]
    )
    assert bare.empty
    pellet = input_jacobian(
        study_cell("uncoated", "powder-powder"), cal, ["SE size exponent of CAM tortuosity"]
    )
    assert list(pellet.index) == ["Cathode ionic conductivity [S.m-1]"]
