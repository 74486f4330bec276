"""Gas-evolution submodel: mechanisms on synthetic trajectories, and on a DEMS run."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import solve_ivp

from drysheet.instruments.dems import dems_cell, simulate_dems_cell
from drysheet.model import gas
from drysheet.model.gas import GasParameters

P = GasParameters.defaults()


def _synthetic(x_end: float = 0.1, v_end: float = 3.9, theta: float = 0.5) -> pd.DataFrame:
    """1 h rest, then a C/20-like charge (9.5 mA/g) taking x 0.99 -> x_end linearly."""
    t = np.arange(0.0, 100_000.0, 10.0)
    charging = t > 3600.0
    frac = np.clip((t - 3600.0) / (t[-1] - 3600.0), 0.0, 1.0)
    return pd.DataFrame(
        {
            "time_s": t,
            "voltage_V": np.where(charging, 3.0 + (v_end - 3.0) * frac**2, 2.6),
            "current_mA_g": np.where(charging, 9.5, 0.0),
            "li_fraction": 0.99 - (0.99 - x_end) * frac,
            "contact_fraction": theta,
        }
    )


@pytest.fixture(scope="module")
def pp_run():
    cell = dems_cell("powder-powder")
    result = simulate_dems_cell("powder-powder")
    traj = gas.trajectory(result, cell.cathode.contact_area_fraction)
    return result, gas.evolve_gases(traj, gas.load_gas_parameters(), cell.temperature_K)


def test_o2_rate_switches_on_at_80_pct_delithiation():
    x = np.array([0.5, 0.3, 0.22, 0.18, 0.1])
    r = gas.o2_rate_per_s(x, P)
    assert r[0] < 1e-12 * P.o2_rate_constant_per_s
    assert r[1] < 1e-4 * P.o2_rate_constant_per_s
    assert r[3] > 0.05 * P.o2_rate_constant_per_s
    assert np.all(np.diff(r) > 0)
    # onset is set by the state of charge, not by the voltage window
    low, high = gas.evolve_gases(_synthetic(0.1, 3.9), P), gas.evolve_gases(_synthetic(0.1, 4.4), P)
    assert gas.totals_umol_g(low)["O2"] == pytest.approx(gas.totals_umol_g(high)["O2"])


def test_o2_zero_before_onset_and_positive_after_in_the_dems_run(pp_run):
    _, g = pp_run
    delith = 1.0 - g["li_fraction"].to_numpy()
    before = g["O2_umol_g"].to_numpy()[np.argmax(delith > 0.78)]
    assert before < 0.01 * g["O2_umol_g"].iloc[-1]
    assert g["O2_umol_g"].iloc[-1] > 1.0
    assert g.loc[delith > 0.85, "O2_umol_s_g"].max() > 0


def test_h2_evolves_early_in_charge():
    traj = _synthetic()
    g = gas.evolve_gases(traj, P)
    charge = np.concatenate([[0.0], np.cumsum(traj["current_mA_g"].to_numpy()[1:] * 10.0 / 3600)])
    h2 = g["H2_umol_g"].to_numpy()
    assert h2[traj["time_s"] < 3600.0].max() == 0.0
    assert h2[np.argmax(charge > 0.2 * charge[-1])] > 0.9 * h2[-1]
    assert h2[-1] == pytest.approx(P.h2_inventory_umol_g, rel=1e-3)


def test_first_order_release_matches_solve_ivp():
    traj = _synthetic()
    t, v = traj["time_s"].to_numpy(), traj["voltage_V"].to_numpy()
    flow = gas.first_order_release(t, gas.co2_rate_per_s(v, P, 298.15), 7.0)
    amount = np.concatenate([[0.0], np.cumsum(0.5 * (flow[1:] + flow[:-1]) * np.diff(t))])

    def rhs(time, n):
        r = gas.co2_rate_per_s(np.interp(time, t, v), P, 298.15)
        return r * (7.0 - n)

    ref = solve_ivp(rhs, (t[0], t[-1]), [0.0], t_eval=t, rtol=1e-9, atol=1e-12, max_step=50.0)
    assert np.max(np.abs(amount - ref.y[0])) < 0.01 * 7.0


def test_co2_is_potential_driven_and_surface_limited():
    theta = 0.5
    low = gas.totals_umol_g(gas.evolve_gases(_synthetic(v_end=3.3, theta=theta), P))["CO2"]
    high = gas.totals_umol_g(gas.evolve_gases(_synthetic(v_end=4.4, theta=theta), P))["CO2"]
    assert low < 0.5 * high
    assert high == pytest.approx(P.co2_carbonate_umol_g * theta, rel=1e-2)
    more_contact = gas.evolve_gases(_synthetic(v_end=4.4, theta=0.8), P)
    assert gas.totals_umol_g(more_contact)["CO2"] > high


def test_so2_takes_its_share_of_the_released_o2():
    for theta in (0.2, 0.8):
        total = gas.totals_umol_g(gas.evolve_gases(_synthetic(theta=theta), P))
        share = total["SO2"] / (total["SO2"] + total["O2"])
        assert share == pytest.approx(P.so2_reaction_probability * theta, rel=1e-9)
    none = replace(P, so2_reaction_probability=0.0)
    assert gas.totals_umol_g(gas.evolve_gases(_synthetic(), none))["SO2"] == 0.0


def test_lattice_reservoir_limits_o2():
    fast = replace(P, o2_rate_constant_per_s=1.0, so2_reaction_probability=0.0)
    o2 = gas.totals_umol_g(gas.evolve_gases(_synthetic(x_end=0.0), fast))["O2"]
    assert o2 == pytest.approx(fast.lattice_o2_umol_g, rel=1e-2)


def test_calibration_file_is_read_and_defaults_without_it(tmp_path):
    assert gas.load_gas_parameters(tmp_path / "absent.yaml", joint=None) == GasParameters.defaults()
    calibrated = gas.load_gas_parameters()
    assert calibrated != GasParameters.defaults()
    assert calibrated.o2_onset_delithiation == pytest.approx(0.80)


def test_one_way_coupling_is_small(pp_run):
    result, g = pp_run
    charge = result.cycles["charge_capacity_mAh_g"].iloc[0]
    assert gas.faradaic_equivalent_mAh_g(gas.totals_umol_g(g)) < 0.01 * charge


def test_trajectory_follows_the_result(pp_run):
    result, g = pp_run
    states = result.extras["states"]
    assert g["time_s"].iloc[-1] == pytest.approx(result.timeseries["time_s"].iloc[-1], abs=10.0)
    assert g["li_fraction"].min() == pytest.approx(states["average_li_fraction"].min(), abs=2e-3)
    assert g["voltage_V"].max() == pytest.approx(result.timeseries["voltage_V"].max(), abs=5e-3)
