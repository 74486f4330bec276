"""The shared result schema: cycles, per-cycle table, helpers, CSV round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drysheet.errors import DrysheetInputError
from drysheet.result import (
    CYCLE_COLUMNS,
    NO_CAPACITY_mAh_g,
    Result,
    RunStatus,
    assign_cycles,
    capacity_retention_pct,
    check_timeseries,
    cycle_table,
    dqdv,
    interval_integrals,
    nominal_c_rate,
    rate_table,
    steps_from_current,
    voltage_curve,
    write_cycler_csv,
)

MASS_G = 0.01  # 1C = 1.9 mA, so 1.9e-4 A is C/10


def cc_cycles(
    n_cycles: int = 3,
    current_A: float = 1.9e-4,
    charge_h: float = 5.0,
    discharge_h: float = 4.5,
    dt_s: float = 60.0,
    labels: list[str] | None = None,
) -> pd.DataFrame:
    """Rest, CC charge, CC discharge per cycle, with linear voltage ramps (3.0-3.6 V)."""
    frames, t0, step = [], 0.0, 0
    for k in range(n_cycles):
        for kind, hours in (("rest", 0.5), ("charge", charge_h), ("discharge", discharge_h)):
            t = t0 + np.arange(0.0, hours * 3600.0 + dt_s / 2, dt_s)
            x = (t - t0) / (hours * 3600.0)
            current = {"rest": 0.0, "charge": current_A, "discharge": -current_A}[kind]
            voltage = {"rest": 3.0 + 0 * x, "charge": 3.0 + 0.6 * x, "discharge": 3.6 - 0.6 * x}
            frame = pd.DataFrame(
                {"time_s": t, "voltage_V": voltage[kind], "current_A": current, "step": step}
            )
            if labels is not None:
                frame["label"] = labels[k]
            frames.append(frame)
            t0, step = t[-1], step + 1
    return pd.concat(frames, ignore_index=True)


def _ts(currents: list[float], points: int = 5) -> pd.DataFrame:
    """One step per entry of ``currents``, ``points`` samples 10 s apart each."""
    n = len(currents) * points
    return pd.DataFrame(
        {
            "time_s": np.arange(n) * 10.0,
            "voltage_V": np.full(n, 3.5),
            "current_A": np.repeat(currents, points),
            "step": np.repeat(np.arange(len(currents)), points),
        }
    )


def test_cycles_are_charge_first():
    ts = assign_cycles(_ts([0.0, 1e-3, -1e-3, 0.0, 1e-3, 5e-4, -1e-3, 0.0]))
    per_step = ts.groupby("step")["cycle"].first().tolist()
    assert per_step == [1, 1, 1, 1, 2, 2, 2, 2]


def test_leading_discharge_is_cycle_one_without_coulomb_efficiency():
    ts = assign_cycles(_ts([-1e-3, 0.0, 1e-3, -1e-3]))
    assert ts.groupby("step")["cycle"].first().tolist() == [1, 1, 2, 2]
    table = cycle_table(ts, MASS_G)
    assert np.isnan(table.loc[0, "coulomb_efficiency_pct"])
    assert table.loc[0, "charge_capacity_mAh_g"] == 0.0
    assert table.loc[1, "coulomb_efficiency_pct"] == pytest.approx(100.0)


def test_steps_from_current_sign():
    steps = steps_from_current(np.array([0, 0, 1, 1, 1e-9, -1, -1, 0.0]))
    assert steps.tolist() == [0, 0, 1, 1, 2, 3, 3, 4]


def test_cycle_table_constant_current_values():
    table = cycle_table(cc_cycles(n_cycles=2), MASS_G)
    assert list(table.columns) == list(CYCLE_COLUMNS)
    assert table["cycle"].tolist() == [1, 2]
    row = table.iloc[0]
    assert row["charge_capacity_mAh_g"] == pytest.approx(95.0)  # 0.19 mA x 5 h / 10 mg
    assert row["discharge_capacity_mAh_g"] == pytest.approx(85.5)
    assert row["coulomb_efficiency_pct"] == pytest.approx(90.0)
    assert row["mean_charge_voltage_V"] == pytest.approx(3.3)
    assert row["mean_discharge_voltage_V"] == pytest.approx(3.3)
    assert row["charge_energy_mWh_g"] == pytest.approx(95.0 * 3.3)
    assert row["charge_c_rate"] == pytest.approx(0.1)
    assert row["discharge_c_rate"] == pytest.approx(0.1)
    assert row["label"] == ""


def test_cycle_table_rejects_bad_mass():
    with pytest.raises(DrysheetInputError, match="cam_mass_g"):
        cycle_table(cc_cycles(1), 0.0)


def test_check_timeseries_errors():
    ts = cc_cycles(1)
    with pytest.raises(DrysheetInputError, match="missing column"):
        check_timeseries(ts.drop(columns="current_A"))
    with pytest.raises(DrysheetInputError, match="no data rows"):
        check_timeseries(ts.iloc[:0])
    bad = ts.copy()
    bad.loc[3, "voltage_V"] = np.nan
    with pytest.raises(DrysheetInputError, match="data row 4"):
        check_timeseries(bad)
    bad = ts.copy()
    bad.loc[5, "time_s"] = -1.0
    with pytest.raises(DrysheetInputError, match="decreases at data row 6"):
        check_timeseries(bad)


def test_result_from_timeseries_and_retention():
    labels = ["formation"] * 2 + ["long C/5"] * 5
    frames = []
    for k, label in enumerate(labels):
        frame = cc_cycles(1, discharge_h=4.5 - 0.1 * k, labels=[label])
        frames.append(frame)
    t0, s0 = 0.0, 0
    for frame in frames:
        frame["time_s"] += t0
        frame["step"] += s0
        t0, s0 = frame["time_s"].iloc[-1], frame["step"].iloc[-1] + 1
    ts = pd.concat(frames, ignore_index=True)
    result = Result.from_timeseries(ts, MASS_G, meta={"cell": "x"})
    assert result.meta == {"cell": "x", "cam_mass_g": MASS_G, "one_c_mA_per_g": 190.0}
    assert result.cycles["label"].tolist() == labels
    q = result.cycles["discharge_capacity_mAh_g"].to_numpy()
    expected = q[-1] / q[2] * 100
    assert capacity_retention_pct(result.cycles) == pytest.approx(expected)
    assert capacity_retention_pct(result.cycles, label="long C/5") == pytest.approx(expected)
    assert capacity_retention_pct(result.cycles, first=1, last=2) == pytest.approx(
        q[1] / q[0] * 100
    )
    with pytest.raises(DrysheetInputError):
        capacity_retention_pct(result.cycles, label="nope")


@pytest.mark.parametrize(
    ("rate", "nominal"), [(0.098, 0.1), (0.21, 0.2), (0.045, 0.05), (0.8, 1.0), (1.7, 2.0)]
)
def test_nominal_c_rate(rate: float, nominal: float):
    assert nominal_c_rate(rate) == pytest.approx(nominal)


def test_rate_table_groups_consecutive_rate_steps():
    frames, t0, s0 = [], 0.0, 0
    for rate, n in ((0.1, 2), (0.2, 2), (0.5, 2), (1.0, 2), (0.2, 3)):
        current = rate * MASS_G * 0.19
        frame = cc_cycles(n, current_A=current, charge_h=0.9 / rate, discharge_h=0.8 / rate)
        frame["time_s"] += t0
        frame["step"] += s0
        t0, s0 = frame["time_s"].iloc[-1], frame["step"].iloc[-1] + 1
        frames.append(frame)
    cycles = cycle_table(pd.concat(frames, ignore_index=True), MASS_G)
    table = rate_table(cycles)
    assert table["c_rate"].tolist() == pytest.approx([0.1, 0.2, 0.5, 1.0, 0.2])
    assert table["n_cycles"].tolist() == [2, 2, 2, 2, 3]
    assert table["discharge_capacity_mAh_g"].tolist() == pytest.approx([152.0] * 5)
    by_label = rate_table(cycles, by="label")
    assert len(by_label) == 1


def test_dqdv_integrates_to_capacity():
    ts = assign_cycles(cc_cycles(1, dt_s=10.0))
    curve = dqdv(ts, 1, smoothing=0, cam_mass_g=MASS_G)
    for direction, capacity in (("charge", 95.0), ("discharge", 85.5)):
        part = curve[curve["direction"] == direction]
        assert part["dqdv_mAh_g_V"].sum() * 0.005 == pytest.approx(capacity, rel=1e-6)
        assert part["dqdv_mAh_g_V"].median() == pytest.approx(capacity / 0.6, rel=0.05)
    smooth = dqdv(ts, 1, smoothing=3)
    assert (smooth["dqdv_mAh_V"] >= 0).all()
    assert smooth["dqdv_mAh_V"].sum() * 0.005 == pytest.approx(0.95 + 0.855)
    assert set(smooth.columns) == {"direction", "voltage_V", "dqdv_mAh_V"}
    with pytest.raises(DrysheetInputError):
        dqdv(ts, 7)


def test_write_cycler_csv_round_trip(tmp_path):
    from drysheet.analysis import read_cycler

    labels = ["formation", "formation", "rate C/10", "long C/5"]
    ts = cc_cycles(n_cycles=4, labels=labels, dt_s=137.0)
    cv = ts["step"] == 4  # a decaying (CV-like) charge step
    ts.loc[cv, "current_A"] *= np.linspace(1.0, 0.2, cv.sum())
    result = Result.from_timeseries(ts, MASS_G, meta={"cell": "sim", "source": "simulation"})
    path = write_cycler_csv(result, tmp_path / "sim.csv")
    back = read_cycler(path)
    assert back.attrs["cam_mass_g"] == MASS_G
    assert back.attrs["cell"] == "sim"
    again = Result.from_timeseries(back, back.attrs["cam_mass_g"])
    pd.testing.assert_frame_equal(again.cycles, result.cycles, check_exact=False, rtol=1e-12)


def test_run_status_kinds_and_messages():
    done = RunStatus("completed")
    assert done.ok and done.clean and done.message == "completed"
    noted = RunStatus("completed", "steps ended at once")
    assert noted.ok and not noted.clean and noted.message == "completed (steps ended at once)"
    stopped = RunStatus("stopped", "event: Minimum voltage", cycle=3, step=2, label="rate 1C")
    assert not stopped.ok
    assert str(stopped) == (
        "stopped in cycle 3 (rate 1C): event: Minimum voltage; 2 full cycles kept"
    )
    assert not RunStatus("failed", "no step solved").ok
    empty = RunStatus("completed", no_capacity=True)
    assert not empty.ok and "no capacity" in empty.message


@pytest.mark.parametrize(("current_A", "no_capacity"), [(1.9e-4, False), (1.9e-6, True)])
def test_a_run_that_delivers_nothing_is_flagged(current_A: float, no_capacity: bool):
    """C/10 for 4.5 h discharges 85.5 mAh/g; C/1000 only 0.86 (< 1 mAh/g in every cycle)."""
    res = Result.from_timeseries(
        cc_cycles(current_A=current_A), MASS_G, status=RunStatus("completed")
    )
    assert (res.cycles["discharge_capacity_mAh_g"].max() < NO_CAPACITY_mAh_g) == no_capacity
    assert res.status.no_capacity == no_capacity and res.status.ok != no_capacity
    assert Result.from_timeseries(cc_cycles(), MASS_G).status is None  # a measured record


def test_interval_integrals_trapezoid_within_a_step_later_value_across_steps():
    t = np.array([0.0, 1.0, 3.0, 4.0])
    y = np.array([1.0, 3.0, -2.0, -2.0])
    step = np.array([0, 0, 1, 1])
    np.testing.assert_allclose(interval_integrals(t, y, step), [2.0, -4.0, -2.0])


def test_voltage_curve_integrates_each_direction_of_a_cycle():
    ts = assign_cycles(cc_cycles(2))
    q, v = voltage_curve(ts, 2, "charge", MASS_G)
    assert q[0] == 0.0 and q[-1] == pytest.approx(95.0) and v[-1] == pytest.approx(3.6)
    q, v = voltage_curve(ts, 2, "discharge", MASS_G)
    assert q[-1] == pytest.approx(85.5) and v[0] == pytest.approx(3.6)
    assert voltage_curve(ts, 3, "charge", MASS_G)[0].size == 0
