"""DC polarisation analysis: steady state, partial conductivities, readers."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drysheet.analysis.dc_polarisation import (
    SteadyStateWarning,
    apparent_ionic_conductivity,
    electronic_conductivity_from_dc,
    ionic_conductivity_from_dc,
    read_chronoamperometry,
    steady_state,
)
from drysheet.errors import DrysheetInputError
from drysheet.instruments.dc_polarisation import (
    electron_blocking_transient,
    ion_blocking_transient,
)

AREA, L_UM = 0.785, 100.0
SERIES = {
    "se_layer_thickness_um": 300.0,
    "se_sigma_S_per_m": 0.2,
    "anode_charge_transfer_ohm_cm2": 10.0,
}
NOISE = [(0.0, None), (0.005, 1), (0.005, 2)]


# --- analytic steady state of the two-rail layer -------------------------------


def _resistivity_form(s_i, s_e, g, L):
    """The two-rail formula as written with resistivities (independent evaluation)."""
    ri, re = 1 / s_i, 1 / s_e
    lam = 1 / math.sqrt(g * (ri + re))
    ra = L * ri * re / (ri + re) + 2 * ri**2 / (ri + re) * lam * math.tanh(L / (2 * lam))
    return L / ra


@pytest.mark.parametrize(
    ("s_i", "s_e", "g"), [(4e-3, 1e-2, 1e7), (1e-3, 1e-5, 1e9), (1e-2, 1e-1, 1e4)]
)
def test_apparent_conductivity_matches_resistivity_form(s_i, s_e, g):
    assert apparent_ionic_conductivity(s_i, s_e, g, L_UM) == pytest.approx(
        _resistivity_form(s_i, s_e, g, L_UM * 1e-6), rel=1e-12
    )


def test_apparent_conductivity_limits_and_monotonicity():
    s_i, s_e = 4e-3, 1e-2
    assert apparent_ionic_conductivity(s_i, s_e, 0.0, L_UM) == s_i
    assert apparent_ionic_conductivity(s_i, 0.0, 1e9, L_UM) == s_i
    assert apparent_ionic_conductivity(s_i, s_e, 1e-6, L_UM) == pytest.approx(s_i, rel=1e-9)
    assert apparent_ionic_conductivity(s_i, s_e, 1e16, L_UM) == pytest.approx(s_i + s_e, rel=1e-3)
    values = [apparent_ionic_conductivity(s_i, s_e, g, L_UM) for g in np.logspace(3, 11, 9)]
    assert np.all(np.diff(values) > 0)
    with pytest.raises(DrysheetInputError, match="exchange_conductance_S_per_m3"):
        apparent_ionic_conductivity(s_i, s_e, -1.0, L_UM)


# --- round trips through the virtual instruments --------------------------------


@pytest.mark.parametrize("s_e", [1e-5, 5e-5, 1e-3, 1e-2, 1e-1])
@pytest.mark.parametrize("s_i", [1e-3, 4e-3, 1e-2])
@pytest.mark.parametrize(("noise", "seed"), NOISE)
def test_ion_blocking_round_trip_recovers_sigma_e(s_e, s_i, noise, seed):
    df = ion_blocking_transient(s_e, s_i, L_UM, AREA, noise_rel=noise, seed=seed)
    result = electronic_conductivity_from_dc(df, L_UM, AREA, 0.05)
    assert result.steady_state.reached
    assert result.sigma_S_per_m == pytest.approx(s_e, rel=0.02)
    assert result.sigma_mS_per_cm == pytest.approx(10 * result.sigma_S_per_m)


@pytest.mark.parametrize("s_e", [1e-5, 1e-3, 1e-1])
@pytest.mark.parametrize("s_i", [1e-3, 4e-3, 1e-2])
@pytest.mark.parametrize(("noise", "seed"), NOISE)
def test_electron_blocking_round_trip_without_exchange_recovers_sigma_i(s_e, s_i, noise, seed):
    df = electron_blocking_transient(
        s_i, s_e, 0.0, L_UM, AREA, noise_rel=noise, seed=seed, **SERIES
    )
    result = ionic_conductivity_from_dc(df, L_UM, AREA, 0.1, **SERIES)
    assert result.steady_state.reached
    assert result.sigma_S_per_m == pytest.approx(s_i, rel=0.02)


@pytest.mark.parametrize(
    ("label", "s_i", "s_e", "g"),
    [
        ("no carbon", 4.5e-3, 5e-5, 1e7),
        ("1 wt% C65", 4.5e-3, 1e-2, 1e7),
        ("strong shortcut", 1e-3, 1e-1, 1e9),
        ("weak exchange", 1e-2, 1e-3, 1e5),
    ],
)
@pytest.mark.parametrize(("noise", "seed"), NOISE[:2])
def test_electron_blocking_transient_agrees_with_analytic_apparent_sigma(
    label, s_i, s_e, g, noise, seed
):
    df = electron_blocking_transient(s_i, s_e, g, L_UM, AREA, noise_rel=noise, seed=seed, **SERIES)
    result = ionic_conductivity_from_dc(df, L_UM, AREA, 0.1, **SERIES)
    assert result.sigma_S_per_m == pytest.approx(
        apparent_ionic_conductivity(s_i, s_e, g, L_UM), rel=0.02
    ), label


def test_carbon_shortcut_raises_the_apparent_ionic_conductivity():
    df = electron_blocking_transient(4.5e-3, 1e-2, 1e7, L_UM, AREA, **SERIES)
    assert ionic_conductivity_from_dc(df, L_UM, AREA, 0.1, **SERIES).sigma_S_per_m > 1.2 * 4.5e-3


# --- steady-state detection -----------------------------------------------------


def test_unfinished_transient_is_flagged_not_silently_reported():
    df = ion_blocking_transient(1e-5, 4e-3, L_UM, AREA, duration_s=2000.0)
    with pytest.warns(SteadyStateWarning, match="not reached"):
        result = electronic_conductivity_from_dc(df, L_UM, AREA, 0.05)
    assert not result.steady_state.reached
    assert result.sigma_S_per_m > 1.05e-5  # the value it would have reported is wrong


def test_slow_creep_that_looks_flat_in_the_window_is_caught():
    t = np.linspace(0, 1000, 400)
    i = 1e-6 * (1 + 0.2 * np.exp(-t / 400))  # 0.4 % drift in the window, 1.8 % above I_inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SteadyStateWarning)
        ss = steady_state(pd.DataFrame({"time_s": t, "current_A": i}), window_s=100)
    assert not ss.reached
    assert ss.drift_rel == pytest.approx(0.0183, rel=0.03)  # window mean vs asymptote
    assert ss.extrapolated_current_A == pytest.approx(1e-6, rel=2e-3)


def test_noisy_plateau_is_steady():
    rng = np.random.default_rng(5)
    t = np.linspace(0, 1000, 400)
    i = 2e-7 * (1 + 0.01 * rng.standard_normal(t.size))
    ss = steady_state(pd.DataFrame({"time_s": t, "current_A": i}))
    assert ss.reached
    assert ss.current_A == pytest.approx(2e-7, rel=0.005)
    assert ss.current_std_A == pytest.approx(2e-9 / math.sqrt(100), rel=0.3)


def test_steady_state_bad_input():
    t = np.linspace(0, 10, 50)
    good = pd.DataFrame({"time_s": t, "current_A": np.ones(50)})
    with pytest.raises(DrysheetInputError, match="window_s"):
        steady_state(good, window_s=0.1)
    with pytest.raises(DrysheetInputError, match="strictly increasing"):
        steady_state(good.iloc[::-1])
    with pytest.raises(DrysheetInputError, match="missing column"):
        steady_state(good.drop(columns="current_A"))
    with pytest.raises(DrysheetInputError, match="zero"):
        steady_state(good.assign(current_A=0.0))


def test_series_larger_than_measured_resistance_is_an_error():
    df = electron_blocking_transient(4e-3, 1e-4, 0.0, L_UM, AREA, **SERIES)
    with pytest.raises(DrysheetInputError, match="series contributions"):
        ionic_conductivity_from_dc(
            df,
            L_UM,
            AREA,
            0.1,
            se_layer_thickness_um=3000.0,
            se_sigma_S_per_m=0.2,
            anode_charge_transfer_ohm_cm2=10.0,
        )


# --- readers ----------------------------------------------------------------------


def test_read_biologic_ca_mpt_in_milliamps(tmp_path):
    df = ion_blocking_transient(1e-3, 4e-3, L_UM, AREA)
    header = [
        "EC-Lab ASCII FILE",
        "Nb header lines : 4",
        "Chronoamperometry",
        "mode\ttime/s\tcontrol/V\tEwe/V\t<I>/mA\tcycle number",
    ]
    rows = [
        f"2\t{t:.9e}\t0.05\t{v:.6e}\t{1e3 * i:.9e}\t0" for t, i, v in df.itertuples(index=False)
    ]
    path = tmp_path / "ca.mpt"
    path.write_text("\n".join(header + rows) + "\n")
    back = read_chronoamperometry(path)
    np.testing.assert_allclose(back.to_numpy(), df.to_numpy(), rtol=1e-8)
    assert electronic_conductivity_from_dc(back, L_UM, AREA, 0.05).sigma_S_per_m == pytest.approx(
        1e-3, rel=0.02
    )


def test_read_generic_csv_units_and_column_map(tmp_path):
    t = np.linspace(0, 600, 40)
    path = tmp_path / "ca.csv"
    path.write_text(
        "Time (min),Current [uA],Voltage (mV)\n" + "\n".join(f"{x / 60},{2.5},{50}" for x in t)
    )
    back = read_chronoamperometry(path)
    np.testing.assert_allclose(back["time_s"], t)
    np.testing.assert_allclose(back["current_A"], 2.5e-6)
    np.testing.assert_allclose(back["voltage_V"], 0.05)
    path2 = tmp_path / "ca2.csv"
    path2.write_text("a,b,c\n" + "\n".join(f"{x},1e-6,0.1" for x in t))
    mapped = read_chronoamperometry(
        path2, column_map={"time_s": "a", "current_A": "b", "voltage_V": "c"}
    )
    np.testing.assert_allclose(mapped["time_s"], t)


def test_read_gamry_curve_table(tmp_path):
    lines = [
        "EXPLAIN",
        "TAG\tCHRONOA",
        "CURVE\tTABLE\t40",
        "\tPt\tT\tVf\tIm\tIERange",
        "\t#\ts\tV vs. Ref.\tA\t#",
    ]
    lines += [f"\t{k}\t{0.5 * k}\t0.05\t{1e-6 + 1e-7 * np.exp(-k / 5)}\t5" for k in range(40)]
    path = tmp_path / "ca.DTA"
    path.write_text("\n".join(lines) + "\n")
    back = read_chronoamperometry(path)
    assert back["time_s"].iloc[-1] == pytest.approx(19.5)
    assert back["current_A"].iloc[0] == pytest.approx(1.1e-6)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"time/s,I/mA\n" + b"1,2\n" * 20, "no column for voltage_V"),
        (b"time/s,I/mA,Ewe/V\n" + b"1,2,3\n" * 5, "only 5 data rows"),
        (
            b"time/s,I/mA,Ewe/V\n" + b"".join(b"%d,2,3\n" % (20 - k) for k in range(20)),
            "increasing",
        ),
        (b"time/s,I/kA,Ewe/V\n" + b"1,2,3\n" * 20, "unit 'kA'"),
        (b"\xff\xfe\x00\x00" * 100, "binary"),
    ],
)
def test_bad_chronoamperometry_files(tmp_path, content, message):
    path = tmp_path / "bad_ca.txt"
    path.write_bytes(content)
    with pytest.raises(DrysheetInputError, match=message):
        read_chronoamperometry(path)


def test_real_biologic_files(real_dir):
    with pytest.raises(DrysheetInputError, match="only 11 data rows"):
        read_chronoamperometry(real_dir / "00_test_02_MB_C01.mpr")
    with pytest.raises(DrysheetInputError, match="no column for current_A"):
        read_chronoamperometry(real_dir / "jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.binary(max_size=400)
    | st.text(alphabet="time/sI(mA)Ewe/V,;\t\n0123456789.e- ", max_size=600).map(str.encode)
)
def test_fuzzed_files_give_a_frame_or_a_clear_error(tmp_path, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    try:
        df = read_chronoamperometry(path)
    except DrysheetInputError:
        return
    assert list(df.columns) == ["time_s", "current_A", "voltage_V"] and len(df) >= 16
