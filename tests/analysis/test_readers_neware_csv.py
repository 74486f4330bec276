"""Neware's text exports, written in Neware's layouts (BTS 8 record sheet, BTSDA 7 record
sheet, BTSDA 7 layered cycle/step/record export) from the records of the real .nda and
.ndax files, read back to the binary files' series and BTS's own capacities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drysheet.analysis.readers import detect_format, read_cycler
from drysheet.analysis.readers.neware_csv import seconds_from_durations
from drysheet.errors import DrysheetInputError
from drysheet.result import cycle_table


def _records(real_dir, name: str) -> pd.DataFrame:
    import fastnda

    return fastnda.read(real_dir / name, cycle_mode="raw").to_pandas()


def _duration(seconds: float, days: bool) -> str:
    """h:mm:ss.fff, or d-hh:mm:ss.fff (BTS 8's total time)."""
    ms = round(seconds * 1000)
    d, rest = divmod(ms, 86_400_000)
    h, rest = divmod(rest, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s = rest / 1000
    return f"{d}-{h:02d}:{m:02d}:{s:06.3f}" if days else f"{24 * d + h}:{m:02d}:{s:06.3f}"


def _bts8(rec: pd.DataFrame) -> str:
    cap_Ah = np.abs(rec["capacity_mAh"]) / 1000
    charge = rec["step_type"].astype(str).str.endswith("_Chg")
    table = pd.DataFrame(
        {
            "DataPoint": rec["index"],
            "Cycle Index": rec["cycle_count"],
            "Step Index": rec["step_index"],
            "Step Type": rec["step_type"].astype(str),
            "Time": [_duration(t, False) for t in rec["step_time_s"]],
            "Total Time": [_duration(t, True) for t in rec["total_time_s"]],
            "Current(A)": rec["current_mA"] / 1000,
            "Voltage(V)": rec["voltage_V"],
            "Capacity(Ah)": cap_Ah,
            "Chg. Cap.(Ah)": np.where(charge, cap_Ah, 0.0),
            "DChg. Cap.(Ah)": np.where(charge, 0.0, cap_Ah),
            "Date": pd.to_datetime(rec["unix_time_s"], unit="s").dt.strftime("%Y-%m-%d %H:%M:%S"),
        }
    )
    return table.to_csv(index=False, float_format="%.9g")


def _btsda7(rec: pd.DataFrame) -> str:
    """BTSDA 7 record sheet: step time only, unsigned current, tab-separated."""
    table = pd.DataFrame(
        {
            "Record Index": rec["index"],
            "Status": rec["step_type"].astype(str),
            "Cycle": rec["cycle_count"],
            "Step": rec["step_count"],
            "Cur(mA)": np.abs(rec["current_mA"]),
            "Voltage(V)": rec["voltage_V"],
            "CapaCity(mAh)": np.abs(rec["capacity_mAh"]),
            "Relative Time(h:min:s.ms)": [_duration(t, False) for t in rec["step_time_s"]],
        }
    )
    return table.to_csv(index=False, sep="\t", float_format="%.9g")


def _layered(rec: pd.DataFrame, sep: str) -> str:
    lines = [
        sep.join(["Cycle ID", "Cap_Chg(mAh)", "Cap_DChg(mAh)"]),
        sep.join(["", "Step ID", "Step Name", "Capacity(mAh)"]),
        sep.join(["", "", "Record ID", "Time(h:min:s.ms)", "Voltage(V)", "Current(mA)",
                  "Capacity(mAh)"]),
    ]  # fmt: skip
    for cycle, in_cycle in rec.groupby("cycle_count", sort=False):
        lines.append(sep.join([str(cycle), "0", "0"]))
        for step, in_step in in_cycle.groupby("step_count", sort=False):
            kind = str(in_step["step_type"].iloc[0])
            last = abs(in_step["capacity_mAh"].iloc[-1])
            lines.append(sep.join(["", str(step), kind, f"{last:.9g}"]))
            for r in in_step.itertuples():
                fields = [r.index, _duration(r.step_time_s, False), r.voltage_V, r.current_mA,
                          abs(r.capacity_mAh)]  # fmt: skip
                lines.append(sep.join(["", "", *(f"{x:.9g}" if isinstance(x, float) else str(x)
                                                  for x in fields)]))  # fmt: skip
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name", ["test.ndax", "test.nda"])
@pytest.mark.parametrize("layout", ["bts8", "btsda7", "layered", "layered-tab"])
def test_exports_read_to_the_binary_record(tmp_path, real_dir, name, layout):
    rec = _records(real_dir, name)
    text = {
        "bts8": _bts8,
        "btsda7": _btsda7,
        "layered": lambda r: _layered(r, ","),
        "layered-tab": lambda r: _layered(r, "\t"),
    }[layout](rec)
    path = tmp_path / f"{layout}.csv"
    path.write_text(text)
    assert detect_format(path) == "neware-csv"
    ts, binary = read_cycler(path), read_cycler(real_dir / name)
    np.testing.assert_allclose(ts["time_s"], binary["time_s"], atol=5e-4)  # written to ms
    np.testing.assert_allclose(ts["voltage_V"], binary["voltage_V"], rtol=1e-6)
    np.testing.assert_allclose(ts["current_A"], binary["current_A"], rtol=1e-6, atol=1e-12)
    np.testing.assert_array_equal(ts["cycle_instrument"], binary["cycle_instrument"])
    pd.testing.assert_frame_equal(cycle_table(ts, 1e-3), cycle_table(binary, 1e-3), rtol=1e-5)


def test_bts_capacities_of_the_ndax_export(tmp_path, real_dir):
    path = tmp_path / "bts8.csv"
    path.write_text(_bts8(_records(real_dir, "test.ndax")))
    table = cycle_table(read_cycler(path), 1e-3)
    assert table["charge_capacity_mAh_g"].iloc[0] * 1e-3 == pytest.approx(0.593039, rel=1e-5)
    assert table["discharge_capacity_mAh_g"].iloc[0] * 1e-3 == pytest.approx(0.625451, rel=1e-5)


def test_durations():
    values = pd.Series(["0:00:01.5", "12:34:56", "1-02:03:04.25", "2d 00:00:01", "7.5", "x"])
    np.testing.assert_allclose(
        seconds_from_durations(values),
        [1.5, 45296.0, 93784.25, 172801.0, 7.5, np.nan],
    )


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("Record ID,Voltage(V),Current(mA)\n1,3.0,1\n", r"no column for \['time'\]"),
        ("Record ID,Time,Voltage(V),Current(mA)\n1,0:00:0x,3.0,1\n", "time_s"),
        (
            "Cycle ID,a\n,Step ID,Step Name\n,,Record ID,Time(h:min:s.ms),Voltage(V),Current(mA)\n",
            "without records",
        ),
        (
            "Cycle ID,a\n,Step ID,Step Name\n,,Record ID,Time,Voltage(V),Current(mA)\n"
            ",,1,0:00:01,3.0,1\n",
            "before the first",
        ),
        (
            "Record ID,Time,Voltage(V),Current(mA)\n1,0:00:05,3.0,1\n2,0:00:01,3.0,1\n",
            "no step column",
        ),
    ],
)
def test_bad_exports(tmp_path, text, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DrysheetInputError, match=match):
        read_cycler(path)
