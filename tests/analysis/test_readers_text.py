"""Text exports (EC-Lab .mpt, MACCOR, generic CSV) against the same data read from the
real binary files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drysheet.analysis import detect_format, read_cycler
from drysheet.errors import DrysheetInputError
from drysheet.result import cycle_table

GCPL = "jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr"


def _write_mpt(path, raw: pd.DataFrame, decimal_comma: bool) -> None:
    """An EC-Lab style .mpt export of galvani's columns (+ an ``I/mA`` column)."""
    header = [
        "EC-Lab ASCII FILE",
        "Nb header lines : 8",
        "",
        "Galvanostatic Cycling with Potential Limitation",
        "",
        "Characteristic mass : 10,000 mg" if decimal_comma else "Characteristic mass : 10.000 mg",
        "Cycle Definition : Charge/Discharge alternance",
    ]
    columns, _, body = raw.to_csv(
        sep="\t", index=False, lineterminator="\r\n", float_format="%.9g"
    ).partition("\r\n")
    if decimal_comma:
        body = body.replace(".", ",")
    body = columns + "\r\n" + body
    path.write_bytes(("\r\n".join(header) + "\r\n" + body).encode("cp1252"))


@pytest.fixture(scope="module")
def gcpl_raw(real_dir) -> pd.DataFrame:
    from galvani import BioLogic

    raw = pd.DataFrame(BioLogic.MPRfile(str(real_dir / GCPL)).data)
    return raw[["Ns", "time/s", "Ewe/V", "dq/mA.h", "half cycle", "control/V/mA"]]


@pytest.mark.parametrize("decimal_comma", [False, True])
def test_mpt_matches_mpr(tmp_path, real_dir, gcpl_raw, decimal_comma):
    path = tmp_path / "gcpl.mpt"
    _write_mpt(path, gcpl_raw, decimal_comma)
    assert detect_format(path) == "biologic-mpt"
    ts = read_cycler(path)
    assert ts.attrs["cam_mass_g"] == pytest.approx(0.010)
    reference = cycle_table(read_cycler(real_dir / GCPL), 0.010)
    pd.testing.assert_frame_equal(cycle_table(ts, 0.010), reference, rtol=1e-5)


def test_mpt_without_header_block(tmp_path):
    path = tmp_path / "plain.mpt"
    path.write_text("time/s\tEwe/V\tI/mA\tNs\n0\t3.0\t0\t0\n10\t3.1\t1\t1\n20\t3.2\t1\t1\n")
    ts = read_cycler(path)
    assert ts["current_A"].tolist() == [0.0, 1e-3, 1e-3]
    assert ts["step"].tolist() == [0, 1, 1]


def _write_maccor(path, ts: pd.DataFrame) -> None:
    """A MACCOR export of a record; its Amp-hr counter (unsigned, restarting at each
    step) carries the record's charge increments."""
    state = np.select([ts["current_A"] > 0, ts["current_A"] < 0], ["C", "D"], "R")
    amp_hr = ts["charge_increment_Ah"].abs().groupby(ts["step"]).cumsum()
    table = pd.DataFrame(
        {
            "Rec#": np.arange(1, len(ts) + 1),
            "Cyc#": ts["cycle"],
            "Step": ts["step"] + 1,
            "Test (Sec)": ts["time_s"],
            "Step (Sec)": 0.0,
            "Amp-hr": amp_hr,
            "Watt-hr": 0.0,
            "Amps": ts["current_A"].abs(),
            "Volts": ts["voltage_V"],
            "State": state,
            "ES": 0,
            "DPt Time": "03/31/2016 16:05:31",
        }
    )
    first = "Today's Date 04/04/2016  Date of Test:\t03/31/2016\t Filename:\tC:\\x.001\n"
    path.write_text(first + table.to_csv(sep="\t", index=False, float_format="%.10g"))


def test_maccor_matches_neware(tmp_path, real_dir):
    source = read_cycler(real_dir / "test.ndax")
    path = tmp_path / "cell.001"
    _write_maccor(path, source)
    assert detect_format(path) == "maccor"
    ts = read_cycler(path)
    assert ts.attrs["format"] == "maccor"
    assert (ts["current_A"] < 0).sum() == (source["current_A"] < 0).sum()
    pd.testing.assert_frame_equal(cycle_table(ts, 1e-3), cycle_table(source, 1e-3), rtol=1e-6)


def test_maccor_minutes_and_duration_text(tmp_path):
    path = tmp_path / "m.txt"
    path.write_text(
        "Rec#,Cyc#,Step,Test (Min),Amps,Volts,State\n"
        "1,0,1,0,0,3.0,R\n2,0,2,1,0.001,3.1,C\n3,0,2,2,0.001,3.2,C\n4,0,3,3,0.001,3.1,D\n"
    )
    ts = read_cycler(path)
    assert ts["time_s"].tolist() == [0, 60, 120, 180]
    assert ts["current_A"].tolist() == [0, 1e-3, 1e-3, -1e-3]
    path.write_text(
        "Rec#\tCyc#\tStep\tTest Time\tCurrent\tVoltage\tMD\n"
        "1\t1\t1\t0d 00:00:00.00\t0.5\t3.0\tC\n2\t1\t1\t1d 00:00:10.50\t0.5\t3.1\tC\n"
    )
    assert read_cycler(path)["time_s"].tolist() == [0.0, 86410.5]


def test_generic_csv_with_column_map(tmp_path):
    path = tmp_path / "lab.csv"
    path.write_text(
        "t [h];U [V];I [mA];Schritt\n0;3,0;0;1\n0,5;3,2;-2;2\n1,0;3,4;-2;2\n1,5;3,1;2;3\n"
    )
    with pytest.raises(DrysheetInputError, match="column_map"):
        read_cycler(path)
    ts = read_cycler(
        path,
        column_map={
            "time_s": ("t [h]", 3600.0),
            "voltage_V": "U [V]",
            "current_A": ("I [mA]", -1e-3),  # this lab logs discharge positive
            "step": "Schritt",
        },
    )
    assert ts["time_s"].tolist() == [0.0, 1800.0, 3600.0, 5400.0]
    assert ts["current_A"].tolist() == [0.0, 2e-3, 2e-3, -2e-3]
    assert ts["step"].tolist() == [0, 1, 1, 2]
    table = cycle_table(ts, 0.01)
    assert table["charge_capacity_mAh_g"].iloc[0] == pytest.approx(200.0)  # 2 mA x 1 h / 10 mg


def test_generic_csv_aliases_and_bad_map(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Test_Time(s),Voltage(V),Current(A)\n0,3,0\n1,3.1,0.001\n")
    assert read_cycler(path)["current_A"].tolist() == [0.0, 0.001]
    with pytest.raises(DrysheetInputError, match="not a column"):
        read_cycler(path, column_map={"current_A": "I"})
    with pytest.raises(DrysheetInputError, match="unknown target"):
        read_cycler(path, column_map={"amps": "Current(A)"})
    with pytest.raises(DrysheetInputError, match="csv format only"):
        read_cycler(path, fmt="maccor", column_map={"current_A": "Current(A)"})


def test_maccor_newer_layout_matches_neware(tmp_path, real_dir):
    """'Rec', 'Cycle P', bracketed units, current in mA, capacity counter in mAh."""
    source = read_cycler(real_dir / "test.ndax")
    state = np.select([source["current_A"] > 0, source["current_A"] < 0], ["C", "D"], "R")
    capacity_mAh = 1000 * source["charge_increment_Ah"].abs().groupby(source["step"]).cumsum()
    table = pd.DataFrame(
        {
            "Rec": np.arange(1, len(source) + 1),
            "Cycle P": source["cycle_instrument"],
            "Step": source["step"] + 1,
            "Test Time [s]": source["time_s"],
            "Capacity [mAh]": capacity_mAh,
            "Current [mA]": 1000 * source["current_A"].abs(),
            "Voltage [V]": source["voltage_V"],
            "MD": state,
        }
    )
    path = tmp_path / "cell.txt"
    path.write_text(table.to_csv(sep="\t", index=False, float_format="%.12g"))
    assert detect_format(path) == "maccor"
    ts = read_cycler(path)
    pd.testing.assert_frame_equal(cycle_table(ts, 1e-3), cycle_table(source, 1e-3), rtol=1e-6)
    assert ts["cycle_instrument"].tolist() == source["cycle_instrument"].tolist()
