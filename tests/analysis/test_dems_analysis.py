"""DEMS: background subtraction, calibration, cumulative amounts, alignment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drysheet.analysis.dems import (
    DemsCalibration,
    analyse_dems,
    molar_flow,
    mz_column,
    read_dems_csv,
)
from drysheet.errors import DrysheetInputError

MASS_G = 0.01


def _trace(tmp_path):
    """1 h rest then 2 h with CO2 evolving at 2e-4 umol/s (ion current 2e-12 A at
    1e8 umol/s per A), on a drifting background; O2 is background only."""
    t = np.arange(0.0, 3 * 3600.0 + 1, 30.0)
    drift = 1e-13 + 1e-18 * t
    co2 = drift + np.where(t > 3600.0, 2e-12, 0.0)
    table = pd.DataFrame({"Time (s)": t, "m/z 44": co2, "m/z=32 (A)": 3 * drift, "2": drift})
    path = tmp_path / "dems.csv"
    table.to_csv(path, index=False)
    return path


CAL = DemsCalibration(
    factors_umol_s_per_A={"CO2": 1e8, "O2": 5e7, "H2": 2e8}, background_window_s=(0.0, 3500.0)
)


def test_read_dems_csv(tmp_path):
    ion = read_dems_csv(_trace(tmp_path))
    assert list(ion.columns) == ["time_s", mz_column(44), mz_column(32), mz_column(2)]


def test_molar_flow_and_cumulative_amount(tmp_path):
    ion = read_dems_csv(_trace(tmp_path))
    flow = molar_flow(ion, CAL)
    late = flow["time_s"] > 3700
    assert flow.loc[late, "CO2_umol_s"].to_numpy() == pytest.approx(2e-4, rel=1e-6)
    assert np.abs(flow["O2_umol_s"]).max() < 1e-12
    gas = analyse_dems(ion, CAL, MASS_G)
    # 2e-4 umol/s for 2 h = 1.44 umol, per 10 mg = 144 umol/g (one 30 s step ramps in)
    assert gas["CO2_umol_g"].iloc[-1] == pytest.approx(144.0, rel=3e-3)
    assert gas["H2_umol_g"].abs().max() < 1e-6


def test_alignment_with_voltage(tmp_path):
    ion = read_dems_csv(_trace(tmp_path))
    ts = pd.DataFrame(
        {"time_s": [0.0, 5000.0, 20000.0], "voltage_V": [2.5, 3.0, 4.5], "current_A": 1e-4}
    )
    gas = analyse_dems(ion, CAL, MASS_G, ts=ts, time_offset_s=1000.0)
    row = gas[gas["time_s"] == 3000.0].iloc[0]  # cycler clock: 4000 s
    assert row["voltage_V"] == pytest.approx(2.9)
    assert row["current_A"] == pytest.approx(1e-4)


def test_bad_dems_input(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("time_s,foo\n0,1\n")
    with pytest.raises(DrysheetInputError, match="no m/z"):
        read_dems_csv(path)
    path.write_text("time_s,44\n0,1e-12\n30,\n")
    with pytest.raises(DrysheetInputError, match="data row 2"):
        read_dems_csv(path)
    ion = read_dems_csv(_trace(tmp_path))
    with pytest.raises(DrysheetInputError, match="SO2"):
        molar_flow(ion, DemsCalibration({"SO2": 1e8}, (0.0, 3500.0)))
    with pytest.raises(DrysheetInputError, match="background window"):
        molar_flow(ion, DemsCalibration({"CO2": 1e8}, (-10.0, 1.0)))
