"""The study's qualitative findings (docs/system.md §6) as tests over model runs.

Each test is one statement of the study about a model output, checked on the
nine study cells run through the formation cycles and a one-cycle-per-step
rate test (the study protocol with ``rate_cycles=1``, ten cycles in all). A
statement the model does not meet is an expected failure (``strict``: it
fails the suite once the model meets it) whose reason names the physics the
model lacks.

Statements about transport (separator conductivity falls with PTFE; cathode
ionic conductivity two orders below the separator's; C65 adds about three
orders of electronic conductivity; NCM's electronic conductivity rises by
decades on delithiation) are tested in tests/test_transport.py; the PTFE
separator's larger resistance growth in Li|SE|Li cells in
tests/model/test_symmetric_cell.py; O2 only above ~80 % delithiation in
tests/model/test_gas.py.
"""

from __future__ import annotations

import itertools

import pytest

from drysheet.cell import STUDY_ARCHITECTURES, study_cell
from drysheet.formulation import STUDY_CATHODE_FORMULATIONS
from drysheet.protocols import RATE_TEST_C, c_rate_label, study_protocol
from drysheet.simulate import Simulator

SHEETS = ("sheet-powder", "sheet-sheet")
PELLET = "powder-powder"
PROTOCOL = study_protocol(rate_cycles=1, total_cycles=2 + len(RATE_TEST_C))

# physics the model lacks, named where a statement fails
STACKED_SHEET_HIGH_RATE = (
    "under the pressure law (docs/pressure.md) the stacked sheets held at 81 MPa stay less "
    "dense than pressed layers (eps 0.26 against 0.13-0.17, as the study's SEM shows), and "
    "the model lacks a mechanism that keeps the PTFE sheet separator's anode interphase "
    "(PTFE reduced at In/InLi, model/anode_interphase.py; ~16 mAh/g at 1C within the rate "
    "test) from growing in the first cycles: its growth is fitted only to the 100-cycle "
    "retentions"
)
# where the model's stacked sheet falls below the pellet (measured: e.g. coated+C65 at 1C
# 131.8 vs 150.9 mAh/g, coated at 1C 114.8 vs 119.7)
SHEET_SHEET_HIGH_RATE_MISSES = {
    ("coated", "sheet-sheet", 1.0),
    ("coated+C65", "sheet-sheet", 0.5),
    ("coated+C65", "sheet-sheet", 1.0),
}
COATED_CEI = (
    "on coated CAM the model's SE oxidation runs mostly on the crack surfaces that cold "
    "pressing opens (more in pellets); it has no mechanism by which the sheets' larger "
    "CAM|SE contact raises the CEI on coated CAM"
)


@pytest.fixture(scope="module")
def runs():
    sim = Simulator(PROTOCOL)
    return {
        (f, a): sim.run(study_cell(f, a))
        for f, a in itertools.product(STUDY_CATHODE_FORMULATIONS, STUDY_ARCHITECTURES)
    }


def _first(runs, f, a, column):
    return float(runs[(f, a)].cycles[column].iloc[0])


def _rate(runs, f, a, c):
    cyc = runs[(f, a)].cycles
    return float(
        cyc.loc[cyc["label"] == f"rate {c_rate_label(c)}", "discharge_capacity_mAh_g"].mean()
    )


def _side_charge_mAh_g(runs, f, a, cycle):
    res = runs[(f, a)]
    states = res.extras["cycle_states"].set_index("cycle")
    return float(states.loc[cycle, "side_reaction_charge_mAh"]) / res.meta["cam_mass_g"]


def test_every_run_completes(runs):
    for key, res in runs.items():
        assert len(res.cycles) == PROTOCOL.n_cycles, (key, res.status)


@pytest.mark.parametrize("f", STUDY_CATHODE_FORMULATIONS)
@pytest.mark.parametrize("a", SHEETS)
def test_sheet_cathodes_give_higher_first_discharge_than_the_pellet(runs, f, a):
    col = "discharge_capacity_mAh_g"
    assert _first(runs, f, a, col) > _first(runs, f, PELLET, col)


@pytest.mark.parametrize("f", STUDY_CATHODE_FORMULATIONS)
@pytest.mark.parametrize("a", SHEETS)
def test_sheet_cathodes_give_higher_first_cycle_ce_than_the_pellet(runs, f, a):
    col = "coulomb_efficiency_pct"
    assert _first(runs, f, a, col) > _first(runs, f, PELLET, col)


def _rate_cases():
    for f, a, c in itertools.product(STUDY_CATHODE_FORMULATIONS, SHEETS, RATE_TEST_C):
        marks = []
        if (f, a, c) in SHEET_SHEET_HIGH_RATE_MISSES:
            marks = [pytest.mark.xfail(strict=True, reason=STACKED_SHEET_HIGH_RATE)]
        yield pytest.param(f, a, c, marks=marks, id=f"{f}-{a}-{c_rate_label(c)}")


@pytest.mark.parametrize(("f", "a", "c"), _rate_cases())
def test_sheet_cathodes_deliver_more_than_the_pellet_at_every_rate(runs, f, a, c):
    assert _rate(runs, f, a, c) > _rate(runs, f, PELLET, c)


@pytest.mark.parametrize("a", STUDY_ARCHITECTURES)
def test_the_coating_raises_first_cycle_ce(runs, a):
    col = "coulomb_efficiency_pct"
    assert _first(runs, "coated", a, col) > _first(runs, "uncoated", a, col)


@pytest.mark.parametrize("a", STUDY_ARCHITECTURES)
def test_carbon_raises_first_discharge(runs, a):
    col = "discharge_capacity_mAh_g"
    assert _first(runs, "coated+C65", a, col) > _first(runs, "coated", a, col)


@pytest.mark.parametrize("a", STUDY_ARCHITECTURES)
def test_carbon_accelerates_se_oxidation(runs, a):
    n = PROTOCOL.n_cycles
    assert _side_charge_mAh_g(runs, "coated+C65", a, n) > _side_charge_mAh_g(runs, "coated", a, n)


@pytest.mark.parametrize(
    ("f", "a"), list(itertools.product(STUDY_CATHODE_FORMULATIONS, STUDY_ARCHITECTURES))
)
def test_ce_rises_from_the_first_to_the_second_cycle(runs, f, a):
    ce = runs[(f, a)].cycles["coulomb_efficiency_pct"]
    assert ce.iloc[1] > ce.iloc[0]


def _cei_cases():
    for f in STUDY_CATHODE_FORMULATIONS:
        marks = []
        if f != "uncoated":
            marks = [pytest.mark.xfail(strict=True, reason=COATED_CEI)]
        yield pytest.param(f, marks=marks, id=f)


@pytest.mark.parametrize("f", _cei_cases())
def test_sheet_cathodes_carry_more_cei_than_the_pellet(runs, f):
    n = PROTOCOL.n_cycles
    sheets = sum(_side_charge_mAh_g(runs, f, a, n) for a in SHEETS) / len(SHEETS)
    assert sheets > _side_charge_mAh_g(runs, f, PELLET, n)


@pytest.mark.parametrize("f", STUDY_CATHODE_FORMULATIONS)
def test_a_ptfe_separator_grows_the_anode_interphase_faster(runs, f):
    def r_anode(a):
        states = runs[(f, a)].extras["cycle_states"]
        return float(states["anode_interphase_ohm_cm2"].iloc[-1])

    assert r_anode("sheet-sheet") > r_anode("sheet-powder")
