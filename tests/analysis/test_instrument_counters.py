"""Cycle tables from the instrument's own charge counters, the instrument's own cycle and
step numbers kept beside drysheet's, non-cycling techniques kept out of the table."""

from __future__ import annotations

import subprocess

import numpy as np
import pandas as pd
import pytest

from drysheet.analysis import read_cycler
from drysheet.analysis.readers import mdb_export_available
from drysheet.analysis.readers.tidy import counter_increments, restarts_at
from drysheet.result import (
    CHARGE_INCREMENT,
    CURRENT,
    CYCLE_INSTRUMENT,
    CYCLING,
    STEP_INSTRUMENT,
    Result,
    cycle_table,
    write_cycler_csv,
)

GCPL = "jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr"


def test_counter_increments():
    per_step = [0.0, 1.0, 2.0, 0.5, 1.5, -0.5, -1.0]
    restarts = restarts_at([0, 0, 0, 1, 1, 2, 2])
    assert counter_increments(per_step, restarts).tolist() == [0, 1, 1, 0.5, 1, -0.5, -0.5]
    carried = [0.0, 1.0, 2.0, 2.0, 0.5, 1.0]  # falls when it restarts
    assert counter_increments(carried, unsigned=True).tolist() == [0, 1, 1, 0, 0.5, 0.5]
    running = [0.0, 1.0, 0.5, 0.25]  # a signed running total (Q-Qo) may fall
    assert counter_increments(running).tolist() == [0, 1, -0.5, -0.25]


@pytest.mark.parametrize("name", ["test.nda", "test.ndax"])
def test_neware_capacities_and_numbers_are_the_instruments(real_dir, name):
    import fastnda

    raw = fastnda.read(real_dir / name, cycle_mode="raw").to_pandas()
    ts = read_cycler(real_dir / name)
    assert ts[CYCLE_INSTRUMENT].tolist() == raw["cycle_count"].tolist()
    assert ts[STEP_INSTRUMENT].tolist() == raw["step_index"].tolist()
    step_capacity_Ah = raw.groupby("step_count")["capacity_mAh"].last().to_numpy(float) / 1000
    per_step = ts.groupby("step")[CHARGE_INCREMENT].sum().to_numpy()
    np.testing.assert_allclose(per_step, step_capacity_Ah, rtol=1e-12, atol=1e-15)
    table = cycle_table(ts, 1e-3)
    charge_Ah = step_capacity_Ah[step_capacity_Ah > 0].sum()
    assert table["charge_capacity_mAh_g"].sum() == pytest.approx(charge_Ah * 1e6, rel=1e-9)


@pytest.mark.skipif(not mdb_export_available(), reason="needs mdbtools' mdb-export")
def test_arbin_capacities_and_numbers_are_the_instruments(real_dir):
    out = subprocess.run(
        ["mdb-export", str(real_dir / "arbin_example.res"), "Channel_Normal_Table"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    raw = pd.read_csv(pd.io.common.StringIO(out)).sort_values("Data_Point")
    ts = read_cycler(real_dir / "arbin_example.res")
    assert ts[CYCLE_INSTRUMENT].tolist() == raw["Cycle_Index"].tolist()
    assert ts[STEP_INSTRUMENT].tolist() == raw["Step_Index"].tolist()
    ends = raw.groupby("Cycle_Index")[["Charge_Capacity", "Discharge_Capacity"]].max()
    charge = ts[CHARGE_INCREMENT].clip(lower=0).groupby(ts[CYCLE_INSTRUMENT]).sum()
    discharge = -ts[CHARGE_INCREMENT].clip(upper=0).groupby(ts[CYCLE_INSTRUMENT]).sum()
    np.testing.assert_allclose(charge, ends["Charge_Capacity"], rtol=1e-12)
    np.testing.assert_allclose(discharge, ends["Discharge_Capacity"], rtol=1e-12)


def test_coarse_logging_keeps_the_instruments_charge(real_dir, tmp_path):
    """Logged every 40th point, EC-Lab's dq still holds the charge since the last logged
    point: the cycle table stays that of the full record, where integrating the
    sampled current would not."""
    from galvani import BioLogic

    raw = pd.DataFrame(BioLogic.MPRfile(str(real_dir / GCPL)).data)
    raw = raw[["Ns", "time/s", "Ewe/V", "dq/mA.h", "half cycle"]]
    keep = np.zeros(len(raw), dtype=bool)
    keep[::40] = keep[-1] = True
    change = np.flatnonzero(np.diff(raw["half cycle"].to_numpy()))
    keep[change] = keep[change + 1] = True  # each half cycle's last and first point
    interval = np.cumsum(keep) - keep  # the points since the previous logged one
    coarse = raw[keep].copy()
    coarse["dq/mA.h"] = raw["dq/mA.h"].groupby(interval).sum().to_numpy()
    path = tmp_path / "coarse.mpt"
    path.write_text(coarse.to_csv(sep="\t", index=False))
    full = cycle_table(read_cycler(real_dir / GCPL), 0.01)
    table = cycle_table(read_cycler(path), 0.01)
    for column in ("charge_capacity_mAh_g", "discharge_capacity_mAh_g"):
        np.testing.assert_allclose(table[column], full[column], rtol=1e-9, atol=1e-9)


def test_impedance_points_and_ocv_are_not_cycling(tmp_path):
    """EIS points inside a cycling file (freq/Hz > 0) count for no capacity; an OCV
    record (no current column) reads with zero current, all non-cycling."""
    rows = ["time/s\tEwe/V\tI/mA\tdq/mA.h\tNs\tfreq/Hz"]
    rows += [f"{t}\t3.5\t1.0\t{1 / 3600}\t0\t0" for t in range(1, 11)]  # 10 s charge at 1 mA
    rows += [f"{10 + k}\t3.6\t{5.0 * (-1) ** k}\t{5 / 3600}\t1\t{1e5 / (k + 1)}" for k in range(5)]
    rows += [f"{15 + t}\t3.4\t-1.0\t{-1 / 3600}\t2\t0" for t in range(1, 6)]  # 5 s discharge
    path = tmp_path / "mb.mpt"
    path.write_text("\n".join(rows) + "\n")
    ts = read_cycler(path)
    assert ts[CYCLING].tolist() == [True] * 10 + [False] * 5 + [True] * 5
    table = cycle_table(ts, 1e-3)
    assert table["charge_capacity_mAh_g"].tolist() == pytest.approx([9 / 3.6])
    assert table["discharge_capacity_mAh_g"].tolist() == pytest.approx([5 / 3.6])
    ocv = tmp_path / "ocv.mpt"
    ocv.write_text("time/s\tEwe/V\n0\t3.1\n60\t3.2\n")
    ts = read_cycler(ocv)
    assert ts[CURRENT].tolist() == [0.0, 0.0]
    assert not ts[CYCLING].any()


def test_drysheet_csv_keeps_counters_and_numbers(real_dir, tmp_path):
    source = read_cycler(real_dir / "test.ndax")
    result = Result.from_timeseries(source, 1e-3)
    back = read_cycler(write_cycler_csv(result, tmp_path / "cell.csv"))
    for column in (CYCLE_INSTRUMENT, STEP_INSTRUMENT, CHARGE_INCREMENT):
        np.testing.assert_array_equal(back[column], source[column])
    pd.testing.assert_frame_equal(cycle_table(back, 1e-3), result.cycles)
