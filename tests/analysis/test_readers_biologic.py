"""EC-Lab .mpr files of EC-Lab 11.50 and later (read with datalab-org-galvani) against
EC-Lab's own .mpt export of the same record; techniques that are no cycling."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from galvani import BioLogic

from drysheet.analysis.readers import read_cycler, read_impedance
from drysheet.analysis.readers.text import read_table, read_text
from drysheet.result import cycle_table

DATA = Path(__file__).parent / "data" / "biologic"
PAIRS = [
    "coc.issue_185",
    "mb.issue_223",
    "gcpl.issue_149",
    "ocv.issue_149",
    "peis.issue_225.with_ece",
]


def _export(name: str):
    """EC-Lab's .mpt export as a table with EC-Lab's column names."""
    path = DATA / f"{name}.mpt"
    lines = read_text(path, "mpt").splitlines()
    n_header = int(lines[1].split(":")[1])
    return read_table("\n".join(lines[n_header - 1 :]), "\t", path, "mpt")


@pytest.mark.parametrize("name", PAIRS)
def test_mpr_matches_ec_labs_export(name):
    ts, export = read_cycler(DATA / f"{name}.mpr"), _export(name)
    assert ts.attrs["format"] == "biologic-mpr"
    assert len(ts) == len(export)
    np.testing.assert_allclose(ts["time_s"], export["time/s"], rtol=1e-9, atol=1e-6)
    voltage = next(c for c in ("Ewe/V", "<Ewe>/V", "<Ewe/V>") if c in export)
    np.testing.assert_allclose(ts["voltage_V"], export[voltage], rtol=1e-6)  # float32
    if "cycle number" in export:  # EC-Lab's cycle number, kept as it is
        np.testing.assert_array_equal(ts["cycle_instrument"], export["cycle number"])
    if "Ns" in export:
        np.testing.assert_array_equal(ts["step_instrument"], export["Ns"])
    assert ts.attrs.get("cam_mass_g") == read_cycler(DATA / f"{name}.mpt").attrs.get("cam_mass_g")


def test_gcpl_cycles_match_ec_labs_charge_per_half_cycle():
    ts = read_cycler(DATA / "gcpl.issue_149.mpr")
    assert ts.attrs["technique"] == "GCPL"
    table = cycle_table(ts, 1.0)
    ours = np.column_stack([table["charge_capacity_mAh_g"], table["discharge_capacity_mAh_g"]])
    export = _export("gcpl.issue_149")
    instrument = export.groupby("half cycle")["Q charge/discharge/mA.h"].last().abs()
    np.testing.assert_allclose(ours.ravel(), instrument.to_numpy(), rtol=1e-4)
    # EC-Lab numbers cycles from 0 (half cycle // 2); drysheet's cycles from 1
    np.testing.assert_array_equal(ts["cycle"], ts["cycle_instrument"] + 1)


def test_modulo_bat_impedance_rows_are_no_cycling_and_read_as_spectrum():
    ts = read_cycler(DATA / "mb.issue_223.mpr")
    export = _export("mb.issue_223")
    np.testing.assert_array_equal(ts["cycling"], export["freq/Hz"] == 0)
    # EC-Lab counts the charge the impedance sweeps passed (-1.26 µAh); drysheet does not
    assert export["Q charge/discharge/mA.h"].iloc[-1] == pytest.approx(-1.259e-3, rel=1e-3)
    table = cycle_table(ts, 1.0)
    assert len(table) == 1
    assert table["charge_capacity_mAh_g"].iloc[0] == 0.0
    assert table["discharge_capacity_mAh_g"].iloc[0] == 0.0
    spectrum = read_impedance(DATA / "mb.issue_223.mpr")
    reference = read_impedance(DATA / "mb.issue_223.mpt")
    assert len(spectrum) == (export["freq/Hz"] > 0).sum() == 76
    np.testing.assert_allclose(spectrum.to_numpy(), reference.to_numpy(), rtol=1e-6)


def test_peis_spectrum_from_mpr_and_mpt_agree():
    spectrum = read_impedance(DATA / "peis.issue_225.with_ece.mpr")
    reference = read_impedance(DATA / "peis.issue_225.with_ece.mpt")
    assert len(spectrum) == 32
    np.testing.assert_allclose(spectrum.to_numpy(), reference.to_numpy(), rtol=1e-6)


def test_lsv_sign_noise_makes_no_cycles():
    ts = read_cycler(DATA / "lsv.mpr")
    assert ts.attrs["technique"] == "LSV"
    sign = np.sign(ts["current_A"].to_numpy())
    assert np.count_nonzero(np.diff(sign[sign != 0])) > 100  # the current changes sign
    assert not ts["cycling"].any()
    assert ts["cycle"].unique().tolist() == [1]
    table = cycle_table(ts, 1.0)
    assert table[["charge_capacity_mAh_g", "discharge_capacity_mAh_g"]].to_numpy().sum() == 0.0


def test_ocv_record_without_current_reads_as_rest():
    ts = read_cycler(DATA / "ocv.issue_149.mpr")
    assert ts.attrs["technique"] == "OCV"
    assert (ts["current_A"] == 0).all() and not ts["cycling"].any()
    assert len(cycle_table(ts, 1.0)) == 1


def test_unknown_technique_code_reads_without_technique(tmp_path, real_dir):
    """A technique code drysheet does not know: the data read as before, no technique."""
    original = real_dir / "jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr"
    raw = bytearray(original.read_bytes())
    fh = io.BytesIO(bytes(raw))
    fh.seek(raw.index(b"MODULE"))
    settings = next(
        m for m in BioLogic.read_VMP_modules(fh) if m["shortname"].strip() == b"VMP Set"
    )
    raw[settings["offset"]] = 0xFE  # the technique code, first byte of the settings
    path = tmp_path / "unknown_technique.mpr"
    path.write_bytes(bytes(raw))
    ts, reference = read_cycler(path), read_cycler(original)
    assert "technique" not in ts.attrs and reference.attrs["technique"] == "GCPL"
    assert ts.attrs["cam_mass_g"] == reference.attrs["cam_mass_g"]
    np.testing.assert_array_equal(ts["voltage_V"], reference["voltage_V"])
    np.testing.assert_array_equal(ts["cycle_instrument"], reference["cycle_instrument"])
