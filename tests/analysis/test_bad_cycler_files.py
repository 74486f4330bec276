"""Bad input files: every failure is a DrysheetInputError naming the file."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drysheet.analysis import read_cycler
from drysheet.analysis.readers import FORMATS, arbin, mdb_export_available
from drysheet.analysis.readers.biologic import read_mpt
from drysheet.analysis.readers.generic_csv import read_generic_csv
from drysheet.analysis.readers.maccor import read_maccor
from drysheet.analysis.readers.text import MAX_COLUMNS, read_table
from drysheet.analysis.readers.tidy import MAX_ABS_CURRENT_A, MAX_ABS_VOLTAGE_V, MAX_TIME_S
from drysheet.errors import DrysheetInputError
from drysheet.result import VOLTAGE, check_timeseries

BINARY = [
    "jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr",
    "00_test_02_MB_C01.mpr",
    "test.nda",
    "test.ndax",
    "arbin_example.res",
]


def _needs_mdb(name: str) -> list:
    if name.endswith(".res") and not mdb_export_available():
        return [pytest.mark.skip(reason="Arbin .res needs mdbtools' mdb-export")]
    return []


def _expect_error(path, match: str | None = None, **kwargs) -> DrysheetInputError:
    with pytest.raises(DrysheetInputError, match=match) as info:
        read_cycler(path, **kwargs)
    assert str(path) in str(info.value)
    return info.value


@pytest.mark.parametrize("name", [pytest.param(n, marks=_needs_mdb(n)) for n in BINARY])
@pytest.mark.parametrize("fraction", [0.5, 0.05])
def test_truncated_binary(tmp_path, real_dir, name, fraction):
    data = (real_dir / name).read_bytes()
    path = tmp_path / name
    path.write_bytes(data[: int(len(data) * fraction)])
    _expect_error(path)


@pytest.mark.parametrize("suffix", [".mpr", ".mpt", ".nda", ".ndax", ".res", ".csv", ".001"])
def test_empty_and_garbage(tmp_path, suffix):
    empty = tmp_path / f"empty{suffix}"
    empty.write_bytes(b"")
    _expect_error(empty, "empty")
    garbage = tmp_path / f"garbage{suffix}"
    garbage.write_bytes(os.urandom(5000) + b"\x00")
    _expect_error(garbage)


def test_wrong_format(tmp_path, real_dir):
    csv_as_mpr = tmp_path / "data.mpr"
    csv_as_mpr.write_text("time_s,voltage_V,current_A\n0,3,0\n")
    _expect_error(csv_as_mpr, "named like biologic-mpr but the content looks like csv")
    mpr_as_nda = tmp_path / "data.nda"
    mpr_as_nda.write_bytes((real_dir / "00_test_02_MB_C01.mpr").read_bytes())
    _expect_error(mpr_as_nda, "looks like biologic-mpr")
    nda_forced_mpr = tmp_path / "x.bin"
    nda_forced_mpr.write_bytes((real_dir / "test.nda").read_bytes())
    _expect_error(nda_forced_mpr, "not a readable BioLogic", fmt="mpr")
    _expect_error(tmp_path / "missing.csv", "no such file")
    with pytest.raises(DrysheetInputError, match="unknown format"):
        read_cycler(csv_as_mpr, fmt="gamry")


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("a.csv", "time_s,current_A\n0,3\n1,3\n", r"no column for \['voltage_V'\]"),
        ("b.csv", "time_s,voltage_V,current_A\n", "no data rows"),
        ("c.csv", "time_s,voltage_V,current_A\n0,3,0\n1,3.1\n", "current_A.*data row 2"),
        ("d.csv", "time_s,voltage_V,current_A\n0,3,0\n1,x,0\n", "voltage_V.*data row 2"),
        ("e.csv", "# only: comments\n", "no header row"),
        ("f.mpt", "EC-Lab ASCII FILE\nNb header lines : 40\nfoo\n", "truncated inside its header"),
        ("g.mpt", "EC-Lab ASCII FILE\nNb header lines : 3\ntime/s\tI/mA\n0\t1\n", "Ewe/V"),
        ("h.mpt", "EC-Lab ASCII FILE\nlines\n", "Nb header lines"),
        ("i.001", "Rec#\tCyc#\tStep\tTest (Sec)\tVolts\tState\n1\t0\t1\t0\t3\tR\n", "Amps"),
        (
            "j.001",
            "Rec#\tCyc#\tStep\tTest (Sec)\tAmps\tVolts\n1\t0\t1\t0\t0\n",
            "voltage_V.*data row 1",
        ),
        ("k.csv", "Data_Point,Test_Time,Cycle_Index,Voltage\n1,0,1,3\n", r"arbin-csv.*Current"),
        (
            "l.mpt",
            "EC-Lab ASCII FILE\nNb header lines : 3\ntime/s\tEwe/V\n11/20/2024 11:38:41.707\t3\n"
            "11/20/2024 11:38:4x.000\t3\n",
            "time_s.*data row 2",
        ),
    ],
)
def test_missing_columns_and_truncated_text(tmp_path, name, text, match):
    path = tmp_path / name
    path.write_text(text)
    _expect_error(path, match)


def _parses_or_refuses(reader, path) -> None:
    try:
        ts = reader(path)
    except DrysheetInputError as err:
        assert str(path) in str(err)
        return
    assert isinstance(ts, pd.DataFrame)
    check_timeseries(ts)


TEXT_READERS = {"csv": read_generic_csv, "maccor": read_maccor, "mpt": read_mpt}
_cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-5, 5).map(str),
    st.sampled_from(["", "C", "D", "R", "1,5", "nan", "x", '"', "\t", ";", "#"]),
)
_headers = st.lists(
    st.sampled_from(
        ["time_s", "voltage_V", "current_A", "step", "label", "Rec#", "Cyc#", "Step",
         "Test (Sec)", "Amps", "Volts", "State", "time/s", "Ewe/V", "I/mA", "Ns", "junk"]
    ),
    min_size=1,
    max_size=7,
)  # fmt: skip


@st.composite
def _tables(draw) -> str:
    header = draw(_headers)
    sep = draw(st.sampled_from([",", "\t", ";"]))
    rows = draw(st.lists(st.lists(_cells, min_size=0, max_size=len(header) + 1), max_size=6))
    prefix = draw(st.sampled_from(["", "EC-Lab ASCII FILE\nNb header lines : 3\n\n", "# a: 1\n"]))
    return prefix + "\n".join(sep.join(r) for r in [header, *rows])


_settings = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.parametrize("fmt", sorted(TEXT_READERS))
@_settings
@given(content=st.binary(max_size=400))
def test_random_bytes(tmp_path, fmt, content):
    path = tmp_path / "fuzz.txt"
    path.write_bytes(content)
    _parses_or_refuses(TEXT_READERS[fmt], path)


@pytest.mark.parametrize("fmt", sorted(TEXT_READERS))
@_settings
@given(content=_tables())
def test_random_tables(tmp_path, fmt, content):
    path = tmp_path / "fuzz.txt"
    path.write_text(content, encoding="utf-8")
    _parses_or_refuses(TEXT_READERS[fmt], path)


_ROWS = "".join(f"{k},{3.0 + k * 1e-3},0.001\n" for k in range(240))


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("full_width.csv", "time_s,voltage_V,current_A\n０,3,0\n１２,3,0\n", "time_s.*data row 1"),
        ("long.csv", f"time_s,voltage_V,current_A\n0,3,0\n{'1' * 5000},3,0\n", "data row 2"),
        ("long.mpt", f"EC-Lab ASCII FILE\nNb header lines : {'1' * 5000}\n", "Nb header lines"),
        ("fw.mpt", "EC-Lab ASCII FILE\nNb header lines : ３\ntime/s\tEwe/V\tI/mA\n", "Nb header"),
        (
            "long.001",
            f"Rec#\tCyc#\tStep\tTest (Sec)\tAmps\tVolts\n1\t0\t1\t0\t0\t{'9' * 5000}\n",
            "voltage_V",
        ),
    ],
)
def test_unusual_digits_are_refused_cleanly(tmp_path, name, text, match):
    """Python's int() and float() take full-width digits and refuse integers of more
    than 4300 digits with a plain ValueError; the readers accept ASCII numbers only and
    give a DrysheetInputError."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    _expect_error(path, match)


def test_wide_tables(tmp_path):
    """Empty trailing fields are dropped (5000 of them read like none); more than
    MAX_COLUMNS real columns are refused before parsing."""
    plain = tmp_path / "plain.csv"
    plain.write_text("time_s,voltage_V,current_A\n" + _ROWS)
    trailing = tmp_path / "trailing.csv"
    trailing.write_text(
        "time_s,voltage_V,current_A" + "," * 5000 + "\n"
        + "".join(row + "," * 5000 + "\n" for row in _ROWS.splitlines())
    )  # fmt: skip
    pd.testing.assert_frame_equal(read_cycler(trailing), read_cycler(plain), check_like=True)
    inner = tmp_path / "inner.csv"
    inner.write_text(
        "time_s" + "," * 5000 + ",voltage_V,current_A\n"
        + "".join(row.replace(",", "," * 5001, 1) + "\n" for row in _ROWS.splitlines())
    )  # fmt: skip
    _expect_error(inner, f"5003 columns; instrument exports have at most {MAX_COLUMNS}")


def test_maccor_header_with_a_million_tabs(tmp_path):
    head = "Rec#\tCyc#\tStep\tTest (Sec)\tAmps\tVolts"
    rows = "1\t0\t1\t0\t0.1\t3.0\n2\t0\t1\t1\t0.1\t3.1\n"
    trailing = tmp_path / "trailing.001"
    trailing.write_text(head + "\t" * 1_000_000 + "\n" + rows)
    assert read_cycler(trailing)[VOLTAGE].tolist() == [3.0, 3.1]
    inner = tmp_path / "inner.001"
    inner.write_text(head.replace("\t", "\t" * 250_000) + "\n" + rows)
    _expect_error(inner, "no MACCOR header row", fmt="maccor")
    _expect_error(inner, "instrument exports have at most")


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("1,5e13,0", r"\|voltage_V\| = 5e\+13 at data row 2 is beyond 100 V"),
        ("1,3,-1e305", r"\|current_A\| = 1e\+305 at data row 2"),
        ("3.9e11,3,0", r"\|time_s\| = 3.9e\+11 at data row 2 is beyond .* s \(ten years\)"),
    ],
)
def test_physically_impossible_values_are_refused(tmp_path, row, match):
    path = tmp_path / "impossible.csv"
    path.write_text(f"time_s,voltage_V,current_A\n0,3,0\n{row}\n")
    _expect_error(path, match)


def test_physical_bounds_admit_real_cells(tmp_path):
    path = tmp_path / "edge.csv"
    path.write_text(
        f"time_s,voltage_V,current_A\n0,-{MAX_ABS_VOLTAGE_V},0\n{MAX_TIME_S},4.2,"
        f"-{MAX_ABS_CURRENT_A}\n"
    )
    assert len(read_cycler(path)) == 2


def test_read_table_types_columns():
    table = read_table("a;b;c;d\n1,5;x;1e5000; 2\n2;;3;3 \n", ";", Path("t.csv"), "table")
    assert table["a"].tolist() == [1.5, 2.0]
    assert table["b"].tolist() == ["x", ""]
    assert table["c"].tolist() == [np.inf, 3.0]
    assert table["d"].tolist() == [2.0, 3.0]
    with pytest.raises(DrysheetInputError, match="more fields than the table header"):
        read_table("a,b\n1,2,3\n", ",", Path("t.csv"), "table")


def test_unexpected_parser_exception_becomes_input_error(tmp_path, monkeypatch):
    def broken(path):
        raise KeyError("Ns")

    monkeypatch.setitem(FORMATS, "maccor", broken)
    path = tmp_path / "x.001"
    path.write_text("Rec#\tCyc#\tStep\tTest (Sec)\tAmps\tVolts\n1\t0\t1\t0\t0\t3\n")
    err = _expect_error(path, r"\(maccor\): unreadable file \(KeyError: 'Ns'\)")
    assert isinstance(err.__cause__, KeyError)


@pytest.mark.skipif(not mdb_export_available(), reason="needs mdbtools' mdb-export")
def test_corrupt_arbin_res_fails_fast(tmp_path, real_dir):
    """Cut at this byte, the example makes mdb-export print the same warning without
    end (it ran to a 120 s timeout holding 1.2 GB of warnings); its output cap stops it."""
    path = tmp_path / "cut.res"
    path.write_bytes((real_dir / "arbin_example.res").read_bytes()[:77373])
    _expect_error(path, r"mdb-export stopped: output beyond 17 MB")


@pytest.mark.skipif(not mdb_export_available(), reason="needs mdbtools' mdb-export")
@pytest.mark.parametrize(
    ("script", "match"),
    [
        ("sleep 30", "did not finish Channel_Normal_Table within 0 s"),
        (
            f"exec {sys.executable} -c 'b = bytearray(2**31)'",
            "not a readable Arbin .res database .*MemoryError",
        ),
    ],
)
def test_mdb_export_is_bounded(tmp_path, real_dir, monkeypatch, script, match):
    """A hanging or memory-hungry export is stopped by the wall-time limit or the
    address-space limit (fake mdb-export scripts standing in for a corrupt database)."""
    fake = tmp_path / "mdb-export"
    fake.write_text(f"#!/bin/sh\n{script}\n")
    fake.chmod(0o755)
    monkeypatch.setattr(arbin, "MDB_EXPORT", str(fake))
    monkeypatch.setattr(arbin, "TIMEOUT_BASE_S", 0.5)
    monkeypatch.setattr(arbin, "TIMEOUT_S_PER_MB", 0.0)
    path = tmp_path / "x.res"
    path.write_bytes((real_dir / "arbin_example.res").read_bytes())
    _expect_error(path, match)


def test_oversized_arbin_res_is_refused(tmp_path, real_dir, monkeypatch):
    monkeypatch.setattr(arbin, "MAX_RES_BYTES", 1024**2 // 4)
    _expect_error(real_dir / "arbin_example.res", "0 MB accepted for an Arbin .res file")
