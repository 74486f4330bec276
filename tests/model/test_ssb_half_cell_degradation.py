"""Degradation states of the cell model: fatigue isolation and the anode interphase."""

import importlib

import numpy as np
import pytest

from drysheet.cell import study_cell
from drysheet.model.parameters import calibrated_constants, cell_inputs
from drysheet.protocols import study_protocol
from drysheet.simulate import Simulator

# strong fatigue; sigma_iso between the carbon-free (~2e-4 S/m) and the C65 (~1e-2 S/m) networks
STRONG_FATIGUE = {
    "Fatigue isolation coefficient": 0.05,
    "Fatigue compliance effectiveness": 1.0,
    "Fatigue isolation conductivity [S.m-1]": 1e-3,
}


@pytest.fixture(scope="module")
def sim():
    return Simulator(study_protocol(rate_cycles=1).truncated(3), mesh=(8, 5))


@pytest.fixture(scope="module")
def one_cycle():
    return Simulator(study_protocol().truncated(1), mesh=(8, 5))


def _end_state(sim, formulation, architecture, **overrides):
    result = sim.run(
        study_cell(formulation, architecture), calibrated={**calibrated_constants(), **overrides}
    )
    assert result.status.kind == "completed"
    return result.extras["cycle_states"].iloc[-1]


def test_without_fatigue_or_pressing_damage_all_cam_stays_connected(sim):
    intact = {"Fatigue isolation coefficient": 0.0, "Pressing fracture at the assembly pressure": 0}
    end = _end_state(sim, "coated", "powder-powder", **intact)
    assert end["connected_cam"] == pytest.approx(1.0, abs=1e-9)


def test_fatigue_isolates_more_cam_in_a_brittle_pellet_than_in_a_sheet(sim):
    pellet = _end_state(sim, "coated", "powder-powder", **STRONG_FATIGUE)
    sheet = _end_state(sim, "coated", "sheet-powder", **STRONG_FATIGUE)
    assert pellet["connected_cam"] < sheet["connected_cam"] < 1.0
    # with a fully compliant-blind network (eta_c = 0) the sheet loses about as much
    blind = _end_state(
        sim, "coated", "sheet-powder", **{**STRONG_FATIGUE, "Fatigue compliance effectiveness": 0}
    )
    assert blind["connected_cam"] < sheet["connected_cam"]


def test_a_carbon_network_bridges_cracked_contacts(sim):
    lean = _end_state(sim, "coated", "powder-powder", **STRONG_FATIGUE)
    carbon = _end_state(sim, "coated+C65", "powder-powder", **STRONG_FATIGUE)
    assert 1 - carbon["connected_cam"] < 0.5 * (1 - lean["connected_cam"])


def test_ptfe_separator_grows_a_larger_anode_interphase(sim):
    powder = _end_state(sim, "coated", "sheet-powder")
    sheet = _end_state(sim, "coated", "sheet-sheet")
    assert powder["anode_ptfe_umol_cm2"] == 0.0
    assert sheet["anode_ptfe_umol_cm2"] > 0
    assert sheet["anode_interphase_ohm_cm2"] > 1.5 * powder["anode_interphase_ohm_cm2"] > 0


def test_cold_pressing_fractures_brittle_cam_in_proportion_to_pressure(sim):
    no_fatigue = {
        "Fatigue isolation coefficient": 0.0,
        "Pressing fracture at the assembly pressure": 0.05,
    }
    pellet = _end_state(sim, "coated", "powder-powder", **no_fatigue)
    pressed_sheet = _end_state(sim, "coated", "sheet-powder", **no_fatigue)
    stacked_sheet = _end_state(sim, "coated", "sheet-sheet", **no_fatigue)
    brittleness = 1 - study_cell("coated", "sheet-powder").cathode.compliance
    assert 0 < brittleness < 0.5
    assert pellet["connected_cam"] == pytest.approx(np.exp(-0.05), rel=1e-6)
    assert pressed_sheet["connected_cam"] == pytest.approx(np.exp(-0.05 * brittleness), rel=1e-6)
    assert stacked_sheet["connected_cam"] == pytest.approx(
        np.exp(-0.05 * brittleness * 81 / 437), rel=1e-6
    )


def test_fatigue_per_half_cycle_follows_the_paris_law_in_the_strain_swing(one_cycle):
    """Per half cycle D grows by k (e_max^m - e_min^m), e = |eps_v| / VOLUME_CHANGE."""
    from drysheet.model import ncm85

    cell = study_cell("coated", "powder-powder")
    lost = {}
    for m in (1.0, 4.0):
        result = one_cycle.run(
            cell,
            calibrated={
                **calibrated_constants(),
                **STRONG_FATIGUE,
                "Pressing fracture at the assembly pressure": 0.0,
                "Fatigue strain exponent": m,
            },
        )
        lost[m] = -np.log(result.extras["cycle_states"]["connected_cam"].iloc[-1])
        x = result.extras["states"]["average_li_fraction"]
        e = -ncm85.volume_strain(np.array([x.max(), x.min()])) / ncm85.VOLUME_CHANGE
    # charge from e_min to e_max and discharge back (e at start and end nearly equal)
    expected_ratio = (e[1] ** 4 - e[0] ** 4) / (e[1] - e[0])
    assert 0 < lost[4.0] < lost[1.0]
    assert lost[4.0] / lost[1.0] == pytest.approx(expected_ratio, rel=0.1)


def test_pressing_flaws_seed_fatigue_as_the_paris_law_says(one_cycle, monkeypatch):
    """Flaw size a_0 ~ p_max, Delta K ~ e sqrt(a_0): the fatigue rate scales as r^(m/2)."""
    simulate_module = importlib.import_module("drysheet.simulate")  # not the CLI function

    cell = study_cell("coated", "sheet-powder")
    calibrated = {
        **calibrated_constants(),
        **STRONG_FATIGUE,
        "Pressing fracture at the assembly pressure": 0.0,
        "Fatigue strain exponent": 4.0,
    }
    lost = {}
    for ratio in (1.0, 0.25):

        def inputs(cell, calibrated=None, ratio=ratio):
            return {**cell_inputs(cell, calibrated), "Pressing pressure ratio": ratio}

        monkeypatch.setattr(simulate_module, "cell_inputs", inputs)
        result = one_cycle.run(cell, calibrated=calibrated)
        lost[ratio] = -np.log(result.extras["cycle_states"]["connected_cam"].iloc[-1])
    assert lost[1.0] > 0
    assert lost[0.25] / lost[1.0] == pytest.approx(0.25**2, rel=0.05)
