"""Symmetric Li|SE|Li cell: PTFE separator degrades faster; pellet interphase ~ sqrt(t)."""

from __future__ import annotations

import numpy as np
import pytest

from drysheet.errors import DrysheetInputError
from drysheet.model import symmetric_cell
from drysheet.model.anode_interphase import interfacial_ptfe_mol_m2, ptfe_onset_factor
from drysheet.model.parameters import calibrated_constants
from drysheet.model.registry import LEAK_CONDUCTANCE
from drysheet.model.symmetric_cell import half_cycle_summary, run_symmetric_cell
from drysheet.study.conductivity_experiments import separator_layer

N_CYCLES = 50  # 100 h at 1 h half-cycles


@pytest.fixture(scope="module")
def runs():
    return {w: run_symmetric_cell(separator_layer(w), n_cycles=N_CYCLES) for w in (0.0, 0.5)}


def _growth(frame):
    s = half_cycle_summary(frame)
    return s["resistance_ohm_cm2"].iloc[-1] - s["resistance_ohm_cm2"].iloc[0]


def test_ptfe_separator_resistance_grows_more(runs):
    pellet, sheet = _growth(runs[0.0]), _growth(runs[0.5])
    assert pellet > 0
    assert sheet > 2 * pellet


def test_pellet_interphase_grows_as_sqrt_t(runs):
    s = half_cycle_summary(runs[0.0])
    late = s["time_h"] >= 10  # past the initial-thickness transient
    slope = np.polyfit(
        np.log(s["time_h"][late]), np.log(s["interphase_resistance_ohm_cm2"][late]), 1
    )[0]
    assert slope == pytest.approx(0.5, abs=0.02)
    # with PTFE the carbon pushes growth toward linear
    s = half_cycle_summary(runs[0.5])
    late = s["time_h"] >= 10
    slope_ptfe = np.polyfit(np.log(s["time_h"][late]), np.log(s["sei_thickness_1_nm"][late]), 1)[0]
    assert slope_ptfe > slope + 0.1


def test_ptfe_reaction_stops_when_interfacial_ptfe_is_consumed(runs):
    df = runs[0.5]
    pool_umol = interfacial_ptfe_mol_m2(separator_layer(0.5)) * 1e6
    assert df.attrs["interfacial_ptfe_umol_m2"] == pytest.approx(pool_umol)
    assert df["ptfe_1_umol_m2"].iloc[0] < pool_umol
    assert df["ptfe_1_umol_m2"].iloc[-1] < 1e-3 * pool_umol
    # products saturate at the stoichiometric amounts of the finite pool
    assert df["lif_1_umol_m2"].iloc[-1] == pytest.approx(2 * pool_umol, rel=1e-3)
    assert df["carbon_1_umol_m2"].iloc[-1] == pytest.approx(pool_umol, rel=1e-3)
    late = df[df["time_h"] > 90]
    assert np.ptp(late["lif_1_umol_m2"]) < 1e-3 * pool_umol
    assert np.ptp(late["lif_resistance_1_ohm_cm2"]) < 1e-3 * late["lif_resistance_1_ohm_cm2"].max()
    # a pellet has no PTFE, so no LiF or carbon
    assert runs[0.0][["ptfe_1_umol_m2", "lif_1_umol_m2", "carbon_1_umol_m2"]].abs().max().max() == 0


def test_symmetric_interfaces_and_square_wave(runs):
    df = runs[0.5]
    np.testing.assert_allclose(df["sei_thickness_1_nm"], df["sei_thickness_2_nm"])
    s = half_cycle_summary(df)
    assert (np.sign(s["current_mA_cm2"]) == np.where(s["half_cycle"] % 2 == 1, 1, -1)).all()
    assert (np.sign(s["voltage_V"]) == np.sign(s["current_mA_cm2"])).all()
    np.testing.assert_allclose(df["overpotential_V"], df["voltage_V"].abs())
    parts = df["bulk_resistance_ohm_cm2"] + df["charge_transfer_ohm_cm2"]
    np.testing.assert_allclose(
        df["resistance_ohm_cm2"], parts + df["interphase_resistance_ohm_cm2"]
    )


def test_the_carbon_leak_is_the_one_calibrated_with_the_full_cell():
    fitted = calibrated_constants()[LEAK_CONDUCTANCE.name]
    assert fitted != LEAK_CONDUCTANCE.default  # the retention fit moved the starting value
    assert symmetric_cell.parameter_values()[LEAK_CONDUCTANCE.name] == fitted


def test_ptfe_reduction_needs_low_potential():
    # proceeds at Li (0 V) and In/InLi (0.62 V), not at cathode potentials
    on = [float(ptfe_onset_factor(u, 1.2, 0.05).evaluate()) for u in (0.0, 0.62, 3.0)]
    assert on[0] > 0.999 and on[1] > 0.999 and on[2] < 1e-10


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("current_mA_cm2", {"current_mA_cm2": 0.0}),
        ("half_cycle_h", {"half_cycle_h": float("nan")}),
        ("n_cycles", {"n_cycles": 2.5}),
        ("n_cycles", {"n_cycles": 0}),
        ("n_cycles", {"n_cycles": True}),
        ("temperature_C", {"temperature_C": 500.0}),
        ("temperature_C", {"temperature_C": "25"}),
    ],
)
def test_bad_inputs_name_the_field(field, kwargs):
    with pytest.raises(DrysheetInputError, match=field):
        run_symmetric_cell(separator_layer(0.5), **{"n_cycles": 1, **kwargs})


def test_the_separator_must_be_a_separator_layer():
    with pytest.raises(DrysheetInputError, match="separator Layer"):
        run_symmetric_cell(0.5)
