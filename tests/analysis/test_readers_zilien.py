"""Zilien .tsv DEMS files (read with ixdat), written in the layout ixdat's Zilien reader
documents: 5-field metadata lines, a series header line (C0M44...), a column header line
(Time [s], M44-CO2 [A]...), each mass channel at its own times."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drysheet.analysis.dems import DemsCalibration, analyse_dems, read_dems_csv
from drysheet.analysis.readers import read_dems
from drysheet.analysis.readers.zilien import read_zilien
from drysheet.errors import DrysheetInputError


def _zilien(path, t44, i44, t32, i32) -> None:
    n44, n32 = len(t44), len(t32)
    meta = [
        ("file_format_version", "", "", "int", "2"),
        ("num_header_lines", "", "", "int", "8"),
        ("num_data_header_lines", "", "", "int", "2"),
        ("data_start_line", "", "", "int", "10"),
        ("start_time_unix", "", "", "double", "1700000000.0"),
        ("C0M44_count", "", "C0M44", "int", str(n44)),
        ("C1M32_count", "", "C1M32", "int", str(n32)),
        ("setup_name", "", "", "string", "cell 1"),
    ]
    lines = ["\t".join(m) for m in meta]
    lines += ["C0M44\t\tC1M32\t", "Time [s]\tM44-CO2 [A]\tTime [s]\tM32-O2 [A]"]
    for k in range(max(n44, n32)):
        a = [repr(float(t44[k])), repr(float(i44[k]))] if k < n44 else ["", ""]
        b = [repr(float(t32[k])), repr(float(i32[k]))] if k < n32 else ["", ""]
        lines.append("\t".join(a + b))
    path.write_text("\n".join(lines) + "\n")


def test_zilien_channels_on_one_time_axis(tmp_path):
    t44 = np.arange(0.0, 3 * 3600.0, 30.0)
    t32 = t44 + 15.0  # measured in turn: 15 s later
    i44 = 1e-13 + np.where(t44 > 3600.0, 2e-12, 0.0)
    i32 = 3e-13 + 1e-18 * t32
    path = tmp_path / "2023-11-14 22_13_20 dems.tsv"
    _zilien(path, t44, i44, t32, i32)
    ion = read_dems(path)
    assert ion.attrs["format"] == "zilien-tsv"
    assert list(ion.columns) == ["time_s", "mz32_A", "mz44_A"]
    # the lowest mass's times, within the span both channels cover
    np.testing.assert_array_equal(ion["time_s"], t32[t32 <= t44[-1]])
    np.testing.assert_allclose(ion["mz32_A"], i32[: len(ion)], rtol=1e-12)
    np.testing.assert_allclose(ion["mz44_A"], np.interp(ion["time_s"], t44, i44), rtol=1e-12)
    # the same ion currents as a delimited table give the same gas amounts
    csv = tmp_path / "dems.csv"
    ion.rename(columns={"time_s": "Time (s)", "mz32_A": "m/z 32", "mz44_A": "m/z 44"}).to_csv(
        csv, index=False
    )
    cal = DemsCalibration(
        factors_umol_s_per_A={"CO2": 1e8, "O2": 5e7}, background_window_s=(0, 3500)
    )
    pd.testing.assert_frame_equal(
        analyse_dems(ion, cal, 0.01), analyse_dems(read_dems_csv(csv), cal, 0.01)
    )
    co2 = analyse_dems(ion, cal, 0.01)
    assert co2.filter(like="CO2").iloc[-1].max() == pytest.approx(2e-4 * 7200 / 0.01, rel=0.02)


def test_bad_zilien_files(tmp_path):
    path = tmp_path / "broken.tsv"
    path.write_text("file_format_version\t\t\tint\t2\nnum_header_lines\t\t\tint\t99\n")
    with pytest.raises(DrysheetInputError, match="not a readable Zilien"):
        read_dems(path)
    no_mass = tmp_path / "pressure.tsv"
    no_mass.write_text(
        "file_format_version\t\t\tint\t2\nnum_header_lines\t\t\tint\t6\n"
        "num_data_header_lines\t\t\tint\t2\ndata_start_line\t\t\tint\t8\n"
        "start_time_unix\t\t\tdouble\t1700000000.0\n"
        "Iongauge value_count\t\tIongauge value\tint\t2\n"
        "Iongauge value\t\nTime [s]\tPressure [mbar]\n0\t1e-6\n1\t1e-6\n"
    )
    with pytest.raises(DrysheetInputError, match="without mass channels"):
        read_zilien(no_mass)
