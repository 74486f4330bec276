"""Virtual DEMS: study windows, calibration on powder-powder, prediction, round trip."""

import pytest

from drysheet.instruments.dems import DEMS_WINDOWS_V, run_dems
from drysheet.model import gas
from drysheet.study.targets import load_targets


@pytest.fixture(scope="module")
def runs():
    return {a: run_dems(a) for a in ("powder-powder", "sheet-sheet")}


def test_windows_follow_the_study():
    targets = load_targets()["dems_first_cycle"]
    for a, v_max in DEMS_WINDOWS_V.items():
        assert targets[a]["window_V_vs_InInLi"][1] == v_max


def test_runs_use_the_window(runs):
    for a, run in runs.items():
        assert run.result.timeseries["voltage_V"].max() == pytest.approx(
            DEMS_WINDOWS_V[a], abs=0.01
        )
        assert run.result.meta["protocol"] == "dems"


def test_calibration_reproduces_powder_powder(runs):
    target = load_targets()["dems_first_cycle"]["powder-powder"]
    obs = runs["powder-powder"].observables()
    for g, value in target["evolved_umol_per_g_NCM85"].items():
        assert obs[g] == pytest.approx(value, rel=0.25), g
    assert obs["SO2_detected"] is target["so2_detected"]
    assert {"charge", "discharge", "ce", "soc", "delithiation"} <= obs.keys()
    # the study's state of charge is charge / theoretical capacity (226 mAh/g -> 82 %)
    assert obs["soc"] == pytest.approx(100 * obs["charge"] / 274.97, rel=1e-4)


def test_higher_window_releases_more_o2(runs):
    pp, ss = runs["powder-powder"].observables(), runs["sheet-sheet"].observables()
    assert ss["soc"] > pp["soc"] and ss["delithiation"] > pp["delithiation"]
    assert ss["O2"] > 1.2 * pp["O2"]
    assert ss["SO2"] > pp["SO2"]
    assert ss["H2"] == pytest.approx(pp["H2"], rel=0.05)  # the inventory is spent either way


def test_ion_current_round_trip(runs):
    for run in runs.values():
        model, obs = gas.totals_umol_g(run.gas), run.observables()
        for g in gas.GASES:
            assert obs[g] == pytest.approx(model[g], rel=0.02), g
        assert {"mz2_A", "mz32_A", "mz44_A", "mz64_A"} <= set(run.ion.columns)


def test_noisy_round_trip():
    run = run_dems("powder-powder", noise_A=2e-15, seed=1)
    model, obs = gas.totals_umol_g(run.gas), run.observables()
    for g in ("H2", "O2", "CO2"):
        assert obs[g] == pytest.approx(model[g], rel=0.1), g
    assert run.ion["mz32_A"].std() > 0


def test_gas_aligned_with_voltage(runs):
    analysed = runs["powder-powder"].analysed
    assert {"voltage_V", "current_A", "O2_umol_s", "O2_umol_g"} <= set(analysed.columns)
    peak = analysed["O2_umol_s"].idxmax()
    assert analysed.loc[peak, "voltage_V"] > 3.6
