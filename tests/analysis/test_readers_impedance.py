"""Impedance exports of other instruments (impedance.py's example files), each checked
against an independent reference: columns the instrument's software wrote beside the
impedance, or the values impedance.py's tests assert."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from drysheet.analysis.readers import read_impedance
from drysheet.analysis.readers.impedance import instrument_layout
from drysheet.errors import DrysheetInputError

DATA = Path(__file__).parent / "data" / "impedance"


@pytest.mark.parametrize(
    ("name", "layout", "points", "first"),
    [
        ("exampleData.csv", "csv", 66, (0.0031623, 0.0494998977640506, -0.020438698544418925)),
        ("exampleDataAutolab.txt", "autolab", 41, (1e4, 0.013785863964281, 0.007191946305823)),
        ("exampleDataCHInstruments.txt", "chinstruments", 73, (9.961e4, 98.91, -2.748)),
        ("exampleDataParstat.txt", None, 31, (1e4, -0.00049816280376104, 0.0175143479976367)),
        ("exampleDataPowersuite.txt", None, 30, (0.1, 423929.46, -49014.063)),
        ("exampleDataVersaStudio.par", "versastudio", 61, (1e5, 55.31571, 4.575431)),
        ("exampleDataZPlot.z", "zplot", 21, (3e5, 147.77, -11.335)),
        ("exampleDataZPlot_noComments.z", "zplot", 31, (3e5, 642.62, -85.821)),
    ],
)
def test_instrument_files(name, layout, points, first):
    """Layout, number of points (0 Hz rows of Parstat's DC part left out) and the first
    point as the file writes it (Im Z, negative for a capacitor)."""
    assert instrument_layout(DATA / name) == layout
    z = read_impedance(DATA / name)
    assert len(z) == points
    np.testing.assert_allclose(z.iloc[0].to_numpy(), first, rtol=1e-12)


def test_header_less_csv_matches_impedance_py_assertions():
    z = read_impedance(DATA / "exampleData.csv")
    # impedance.py's test_preprocessing: frequencies[0], [-1] and real[-1], imag[-1]
    assert z["freq_Hz"].iloc[-1] == 10000.0
    assert z["z_real_ohm"].iloc[-1] == pytest.approx(0.015771482660485933, rel=1e-12)
    assert z["z_imag_ohm"].iloc[-1] == pytest.approx(0.010157474564938236, rel=1e-12)


def test_ch_instruments_impedance_matches_its_modulus_and_phase():
    columns = ["freq", "z_real", "z_imag", "modulus", "phase"]
    raw = pd.read_csv(DATA / "exampleDataCHInstruments.txt", skiprows=18, names=columns)
    z = read_impedance(DATA / "exampleDataCHInstruments.txt")
    np.testing.assert_allclose(
        np.hypot(z["z_real_ohm"], z["z_imag_ohm"]), raw["modulus"], rtol=1e-3
    )
    phase_deg = np.degrees(np.arctan2(z["z_imag_ohm"], z["z_real_ohm"]))
    np.testing.assert_allclose(phase_deg, raw["phase"], atol=0.06)  # written to 0.1°


def test_versastudio_impedance_is_its_voltage_over_current():
    lines = (DATA / "exampleDataVersaStudio.par").read_text().splitlines()
    start = next(k for k, ln in enumerate(lines) if ln.startswith("Definition=")) + 1
    end = lines.index("</Segment1>")
    rows = np.array([[float(x) for x in ln.split(",")] for ln in lines[start:end]])
    e_phasor, i_phasor = rows[:, 10] + 1j * rows[:, 11], rows[:, 12] + 1j * rows[:, 13]
    z = read_impedance(DATA / "exampleDataVersaStudio.par")
    np.testing.assert_allclose(
        z["z_real_ohm"] + 1j * z["z_imag_ohm"], e_phasor / i_phasor, rtol=1e-6
    )
    np.testing.assert_array_equal(z["freq_Hz"], rows[:, 9])


def test_autolab_nova_export_with_modulus_and_minus_phase(tmp_path):
    """NOVA's impedance signals (Metrohm NOVA technical note 15): Frequency (Hz),
    Z' (Ω), -Z'' (Ω), Z (Ω), -Phase (°), Time (s), semicolon-separated with decimal
    commas; and the same spectrum as modulus and -phase only."""
    f = np.logspace(5, -1, 20)
    z = 10.0 + 100.0 / (1 + 1j * 2 * np.pi * f * 1e-4 * 100.0)
    nova = tmp_path / "nova.txt"
    rows = [
        f"{a};{b};{c};{d};{e};{k}".replace(".", ",")
        for k, (a, b, c, d, e) in enumerate(
            zip(f, z.real, -z.imag, abs(z), -np.degrees(np.angle(z)), strict=True)
        )
    ]
    nova.write_text("Frequency (Hz);Z' (Ω);-Z'' (Ω);Z (Ω);-Phase (°);Time (s)\n" + "\n".join(rows))
    polar = tmp_path / "polar.csv"
    polar.write_text(
        "freq,|Z|,-phase\n"
        + "\n".join(
            f"{a},{b},{c}" for a, b, c in zip(f, abs(z), -np.degrees(np.angle(z)), strict=True)
        )
    )
    for path in (nova, polar):
        read = read_impedance(path)
        np.testing.assert_allclose(read["z_real_ohm"] + 1j * read["z_imag_ohm"], z, rtol=1e-9)


@pytest.mark.parametrize(
    "name", ["exampleDataZPlot.z", "exampleDataVersaStudio.par", "exampleDataCHInstruments.txt"]
)
def test_truncated_instrument_files_are_refused(tmp_path, name):
    path = tmp_path / name
    path.write_bytes((DATA / name).read_bytes()[:300])
    with pytest.raises(DrysheetInputError, match=str(path).replace("\\", "\\\\")):
        read_impedance(path)


def test_column_map_does_not_apply_to_instrument_layouts():
    with pytest.raises(DrysheetInputError, match="column_map applies to tables with a header"):
        read_impedance(DATA / "exampleDataZPlot.z", column_map={"freq_Hz": "x"})


def test_versastudio_with_endless_segments_is_refused_at_once(tmp_path):
    path = tmp_path / "hostile.par"
    path.write_text("<Application>\n" + "Segments=1\n" * 50_000)
    with pytest.raises(DrysheetInputError, match="50000 'Segments' entries"):
        read_impedance(path)
