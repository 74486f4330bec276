"""Battery Data Format: drysheet writes BDF CSV and Parquet and reads BDF like any other
format, including fastnda's own BDF output (an independent writer)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drysheet.analysis import detect_format, read_cycler
from drysheet.analysis.command import run_analyze
from drysheet.bdf import LABELS, REQUIRED, to_bdf, write_bdf
from drysheet.errors import DrysheetInputError
from drysheet.result import (
    CHARGE_INCREMENT,
    CYCLE_INSTRUMENT,
    STEP_INSTRUMENT,
    Result,
    cycle_table,
)

FILES = ["test.ndax", "test.nda", "jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr"]


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_round_trip(real_dir, tmp_path, name, suffix):
    source = read_cycler(real_dir / name)
    path = write_bdf(source, tmp_path / f"cell{suffix}")
    assert detect_format(path) == "bdf" + suffix.replace(".", "-")
    back = read_cycler(path)
    pd.testing.assert_frame_equal(cycle_table(back, 0.01), cycle_table(source, 0.01), rtol=1e-9)
    np.testing.assert_allclose(back[CHARGE_INCREMENT], source[CHARGE_INCREMENT], atol=1e-15)
    np.testing.assert_array_equal(back[STEP_INSTRUMENT], source[STEP_INSTRUMENT])
    if CYCLE_INSTRUMENT in source:
        np.testing.assert_array_equal(back[CYCLE_INSTRUMENT], source[CYCLE_INSTRUMENT])


def test_columns_and_a_simulations_cycles():
    ts = pd.DataFrame(
        {"time_s": [0.0, 1.0, 2.0], "voltage_V": [3.0, 3.1, 3.0], "current_A": [1.0, 1.0, -1.0]}
    )
    table = to_bdf(Result.from_timeseries(ts, 1e-3).timeseries)
    assert list(table.columns) == [*REQUIRED, "cycle_count", "step_count"]
    assert table["step_count"].tolist() == [1, 1, 2]  # counts from 1
    assert table["cycle_count"].tolist() == [1, 1, 1]


@pytest.mark.parametrize("columns", ["bdf", "bdf-pref"])
def test_fastnda_bdf_output_reads_like_the_ndax(real_dir, tmp_path, columns):
    import fastnda

    path = tmp_path / "fastnda.csv"
    fastnda.read(real_dir / "test.ndax", columns=columns).to_pandas().to_csv(path, index=False)
    assert detect_format(path) == "bdf-csv"
    source = read_cycler(real_dir / "test.ndax")
    back = read_cycler(path)
    pd.testing.assert_frame_equal(cycle_table(back, 0.01), cycle_table(source, 0.01), rtol=1e-6)
    np.testing.assert_array_equal(back[CYCLE_INSTRUMENT], source[CYCLE_INSTRUMENT])


def test_labels_with_other_units(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("Test Time / h,Voltage / mV,Current / mA\n0,3000,0\n0.5,3100,2\n")
    ts = read_cycler(path)
    assert ts["time_s"].tolist() == [0.0, 1800.0]
    assert ts["voltage_V"].tolist() == [3.0, 3.1]
    assert ts["current_A"].tolist() == [0.0, 0.002]
    assert LABELS["test_time_second"] == "Test Time / s"


def test_bad_bdf_files(tmp_path):
    missing = tmp_path / "missing.parquet"
    pd.DataFrame({"test_time_second": [0.0], "voltage_volt": [3.0]}).to_parquet(missing)
    with pytest.raises(DrysheetInputError, match=r"missing BDF column\(s\) \['current_ampere'\]"):
        read_cycler(missing)
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1" + b"\x00" * 100)
    with pytest.raises(DrysheetInputError, match="not a readable Parquet file"):
        read_cycler(corrupt)
    with pytest.raises(DrysheetInputError, match=r"a BDF file ends in \.csv or \.parquet"):
        write_bdf(pd.DataFrame(), tmp_path / "x.txt")


def test_analyze_writes_bdf(real_dir, tmp_path):
    summary = run_analyze([real_dir / "test.ndax"], tmp_path, 1.0, None, None, bdf=True)
    outputs = summary["files"][0]["outputs"]
    for key in ("bdf_csv", "bdf_parquet"):
        back = read_cycler(outputs[key])
        assert len(back) == len(read_cycler(real_dir / "test.ndax"))
