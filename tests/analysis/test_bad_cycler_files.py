"""Bad input files: every failure is a DrysheetInputError naming the file."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drysheet.analysis import read_cycler
from drysheet.analysis.readers import mdb_export_available
from drysheet.analysis.readers.biologic import read_mpt
from drysheet.analysis.readers.generic_csv import read_generic_csv
from drysheet.analysis.readers.maccor import read_maccor
from drysheet.errors import DrysheetInputError
from drysheet.result import check_timeseries

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
        ("a.csv", "time_s,voltage_V\n0,3\n1,3\n", r"no column for \['current_A'\]"),
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
