import numpy as np
import pytest

from drysheet.cell import study_cell
from drysheet.model.parameters import calibrated_constants
from drysheet.protocols import Block, Protocol, Step, study_protocol
from drysheet.result import RunStatus
from drysheet.simulate import Simulator


@pytest.fixture(scope="module")
def first_two():
    return Simulator(study_protocol().truncated(2))


def test_first_cycles_are_physical(first_two):
    result = first_two.run(study_cell("coated", "sheet-sheet"))
    cyc = result.cycles
    assert len(cyc) == 2 and result.status == RunStatus("completed")
    assert 170 < cyc["discharge_capacity_mAh_g"].iloc[0] < 240
    assert (
        75 < cyc["coulomb_efficiency_pct"].iloc[0] < cyc["coulomb_efficiency_pct"].iloc[1] <= 100.5
    )
    ts = result.timeseries
    assert ts.loc[ts["voltage_V"].idxmax(), "current_A"] > 0  # charge positive, up to 3.7 V
    assert ts["voltage_V"].max() == pytest.approx(3.7, abs=2e-3)
    assert ts["voltage_V"].min() == pytest.approx(2.3, abs=2e-3)


def test_charge_balance_closes(first_two):
    """Charge passed = Li removed from NCM + SE oxidation charge (no Li created or lost).

    Fatigue and pressing damage are off: isolated particles take their Li out of the
    connected CAM's average.
    """
    cell = study_cell("uncoated", "sheet-powder")
    no_fatigue = {
        **calibrated_constants(),
        "Fatigue isolation coefficient": 0.0,
        "Pressing fracture at the assembly pressure": 0.0,
    }
    result = first_two.run(cell, calibrated=no_fatigue)
    states = result.extras["cycle_states"]
    cyc = result.cycles
    net_mAh_g = (cyc["charge_capacity_mAh_g"] - cyc["discharge_capacity_mAh_g"]).sum()
    side_mAh_g = states["side_reaction_charge_mAh"].iloc[-1] / (cell.cam_mass_g * 1e3) * 1e3
    li_mAh_g = (0.99 - states["average_li_fraction"].iloc[-1]) * 275.0
    assert net_mAh_g == pytest.approx(side_mAh_g + li_mAh_g, abs=0.5)


def test_one_built_model_serves_different_cells(first_two):
    a = first_two.run(study_cell("uncoated", "powder-powder")).cycles
    b = first_two.run(study_cell("coated+C65", "sheet-sheet")).cycles
    assert not np.isclose(a["coulomb_efficiency_pct"].iloc[0], b["coulomb_efficiency_pct"].iloc[0])


def test_a_protocol_that_cannot_continue_keeps_the_completed_cycles():
    """A 5 h charge at 1C with the limit out of reach (6 V) empties the lattice in cycle 2."""
    ok = (Step(kind="charge", c_rate=0.5, duration_h=1.0), Step(kind="discharge", c_rate=0.5))
    overcharge = (
        Step(kind="charge", c_rate=1.0, duration_h=5.0),
        Step(kind="discharge", c_rate=0.5),
    )
    protocol = Protocol(
        v_max=6.0,
        blocks=(Block(label="ok", steps=ok), Block(label="overcharge", steps=overcharge)),
    )
    result = Simulator(protocol).run(study_cell("coated", "sheet-sheet"))
    status = result.status
    assert (status.kind, status.cycle, status.label, status.ok) == (
        "stopped",
        2,
        "overcharge",
        False,
    )
    assert status.message.startswith("stopped in cycle 2 (overcharge)")
    assert "1 full cycles kept" in status.message
    assert result.cycles["discharge_capacity_mAh_g"].iloc[0] > 50


def test_without_states_the_capacities_are_the_same(first_two):
    cell = study_cell("uncoated", "powder-powder")
    full = first_two.run(cell)
    lean = Simulator(first_two.protocol, states=False).run(cell)
    assert lean.extras == {} and "cycle_states" in full.extras
    assert lean.meta["solver_steps"] == full.meta["solver_steps"] > 0
    np.testing.assert_array_equal(
        lean.cycles["discharge_capacity_mAh_g"], full.cycles["discharge_capacity_mAh_g"]
    )


def test_progress_bar_counts_cycles_when_asked_only(first_two, capsys):
    cell = study_cell("coated", "sheet-sheet")
    first_two.run(cell)  # default: not on a terminal (pytest captures stderr)
    assert capsys.readouterr().err == ""
    first_two.run(cell, progress=True)
    bar = capsys.readouterr().err
    assert "coated/sheet-sheet" in bar and "2/2" in bar
