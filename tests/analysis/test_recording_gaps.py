"""Records without a charge counter: recording gaps are not integrated over, samples of
non-cycling techniques make no cycles, open-circuit tables without a current are rest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drysheet.analysis.readers import read_cycler
from drysheet.analysis.readers.tidy import RecordingGapWarning
from drysheet.result import cycle_table, dqdv, voltage_curve


def _write(path, time_s, current_A, **extra) -> None:
    pd.DataFrame({"time_s": time_s, "voltage_V": 3.7, "current_A": current_A, **extra}).to_csv(
        path, index=False
    )


def test_a_reading_before_a_gap_is_not_integrated_over_the_gap(tmp_path):
    """A looped record: 1 mA charge logged every 10 s for 100 s, nothing for 3000 s
    (an unrecorded technique), then another 100 s of charge."""
    time_s = np.r_[np.arange(0, 101, 10), 3100 + np.arange(0, 101, 10)]
    path = tmp_path / "looped.csv"
    _write(path, time_s, 1e-3)
    with pytest.warns(RecordingGapWarning, match=r"1 recording gap.* t = 100 s .* for 3000 s"):
        ts = read_cycler(path)
    charge_mAh = cycle_table(ts, 1.0)["charge_capacity_mAh_g"].iloc[0]
    assert charge_mAh == pytest.approx(2 * 100 / 3600)  # not (200 + 3000) s of 1 mA


def test_dqdv_and_voltage_curve_leave_a_gap_out_as_the_cycle_table_does(tmp_path):
    """1 mA charge 3.0 -> 3.1 V logged every 10 s for 100 s, a 3000 s gap, 100 s more
    to 3.2 V: dQ/dV and the voltage curve hold the cycle table's 200 s of charge, not
    the 3200 s an integration across the gap gives."""
    time_s = np.r_[np.arange(0, 101, 10), 3100 + np.arange(0, 101, 10)]
    path = tmp_path / "gap_in_charge.csv"
    _write(path, time_s, 1e-3)
    frame = pd.read_csv(path).assign(
        voltage_V=np.r_[np.linspace(3.0, 3.1, 11), np.linspace(3.1, 3.2, 11)]
    )
    frame.to_csv(path, index=False)
    with pytest.warns(RecordingGapWarning):
        ts = read_cycler(path)
    charge_mAh_g = cycle_table(ts, 1.0)["charge_capacity_mAh_g"].iloc[0]
    assert charge_mAh_g == pytest.approx(200 / 3600)
    curve = dqdv(ts, 1, smoothing=0, dv_V=0.01, cam_mass_g=1.0)
    assert curve["dqdv_mAh_g_V"].sum() * 0.01 == pytest.approx(charge_mAh_g)
    q_mAh_g, _ = voltage_curve(ts, 1, "charge", 1.0)
    assert q_mAh_g[-1] == pytest.approx(charge_mAh_g)


def test_record_without_gaps_is_integrated_as_before(tmp_path, recwarn):
    path = tmp_path / "regular.csv"
    _write(path, np.arange(0, 1001, 10), 1e-3)
    ts = read_cycler(path)
    assert "charge_increment_Ah" not in ts  # cycle_table integrates the current itself
    assert not [w for w in recwarn if issubclass(w.category, RecordingGapWarning)]
    assert cycle_table(ts, 1.0)["charge_capacity_mAh_g"].iloc[0] == pytest.approx(1000 / 3600)


def test_gap_at_rest_is_harmless(tmp_path, recwarn):
    path = tmp_path / "rest_gap.csv"
    _write(path, np.r_[np.arange(0, 101, 10), 5000, 5010], np.r_[np.full(11, 1e-3), 0.0, 0.0])
    read_cycler(path)
    assert not [w for w in recwarn if issubclass(w.category, RecordingGapWarning)]


def test_non_cycling_samples_make_no_cycles(tmp_path):
    """Current-sign noise flagged non-cycling (a voltammetry sweep) between a charge and
    a discharge: one cycle, and the noise counts for neither."""
    noise = 1e-6 * np.where(np.arange(50) % 2 == 0, 1.0, -1.0)
    current = np.r_[np.full(10, 1e-3), noise, np.full(10, -1e-3)]
    cycling = np.r_[np.full(10, True), np.full(50, False), np.full(10, True)]
    path = tmp_path / "with_sweep.csv"
    _write(path, np.arange(70) * 10.0, current, cycling=cycling)
    ts = read_cycler(path)
    assert ts["cycle"].unique().tolist() == [1]
    table = cycle_table(ts, 1.0)
    assert table["charge_capacity_mAh_g"].iloc[0] == pytest.approx(90 / 3600)  # 10 samples, 90 s


def test_open_circuit_table_without_current_is_rest(tmp_path):
    path = tmp_path / "ocv.csv"
    path.write_text("time_s,voltage_V\n0,3.70\n60,3.69\n120,3.69\n")
    ts = read_cycler(path)
    assert (ts["current_A"] == 0).all() and not ts["cycling"].any()
    assert cycle_table(ts, 1.0)["charge_capacity_mAh_g"].tolist() == [0.0]
