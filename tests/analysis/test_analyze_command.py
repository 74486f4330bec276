"""run_analyze: the `drysheet analyze` work on real files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from drysheet.analysis import read_cycler
from drysheet.analysis.command import format_summary, protocol_like, run_analyze
from drysheet.errors import DrysheetInputError
from drysheet.result import Result

GCPL = "jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr"


def test_mass_from_file_metadata(real_dir, tmp_path):
    summary = run_analyze([real_dir / GCPL], tmp_path, None, 0.785, 60.0)
    (info,) = summary["files"]
    assert info["cam_mass_source"] == "file"
    assert info["cam_mass_g"] == pytest.approx(0.010)
    assert info["n_cycles"] == 7
    assert info["max_discharge_capacity_mAh_g"] == pytest.approx(87.95, abs=0.05)
    assert info["cam_loading_mg_cm2"] == pytest.approx(10 / 0.785)
    assert info["capacity_retention_pct"] == pytest.approx(87.949 / 85.285 * 100, abs=0.05)
    for key in ("timeseries", "cycles", "voltage_capacity_plot", "cycle_plot"):
        assert (tmp_path / info["outputs"][key].split("/")[-1]).stat().st_size > 0
    cycles = pd.read_csv(info["outputs"]["cycles"])
    assert cycles["charge_capacity_mAh_g"].iloc[1] == pytest.approx(98.68, abs=0.01)
    back = read_cycler(info["outputs"]["timeseries"])
    assert back.attrs["cam_mass_g"] == pytest.approx(0.010)
    assert len(back) == 46102


def test_mass_argument_and_shared_stems(real_dir, tmp_path):
    files = [real_dir / "test.nda", real_dir / "test.ndax"]
    summary = run_analyze(files, tmp_path, 1.0, None, None)
    nda, ndax = summary["files"]
    assert nda["cam_mass_source"] == "argument"
    assert nda["outputs"]["cycles"].endswith("test_nda_cycles.csv")
    assert ndax["outputs"]["cycles"].endswith("test_ndax_cycles.csv")
    assert ndax["first_charge_capacity_mAh_g"] == pytest.approx(593.0, rel=2e-3)


def test_missing_mass_and_bad_input(real_dir, tmp_path):
    with pytest.raises(DrysheetInputError, match="no cathode active material mass"):
        run_analyze([real_dir / "test.ndax"], tmp_path, None, None, None)
    with pytest.raises(DrysheetInputError, match="cam_mass_mg: must be a finite number"):
        run_analyze([real_dir / "test.ndax"], tmp_path, -1.0, None, None)
    with pytest.raises(DrysheetInputError, match="no input files"):
        run_analyze([], tmp_path, 1.0, None, None)
    with pytest.raises(DrysheetInputError, match="no such file"):
        run_analyze([tmp_path / "nope.mpr"], tmp_path, 1.0, None, None)


def test_partial_cycles_are_flagged_and_numbers_rounded(real_dir, tmp_path):
    """The GCPL file opens with a partial discharge: cycle 1 is flagged, and the first
    values are those of cycle 2, the first full cycle."""
    (info,) = run_analyze([real_dir / GCPL], tmp_path, None, None, None)["files"]
    assert info["partial_cycles"] == [1] and info["first_full_cycle"] == 2
    assert info["first_charge_capacity_mAh_g"] == pytest.approx(98.68, abs=0.01)
    text = format_summary(info)
    assert "first_charge_capacity_mAh_g=98.68," in text
    assert "note: cycle 1 lacks a charge or a discharge" in text
    assert not re.search(r"\d\.\d{5,}", text)  # no 16-digit floats


def test_protocol_like_the_measured_file(real_dir):
    measured = Result.from_timeseries(read_cycler(real_dir / GCPL), 0.010)
    protocol = protocol_like(measured, GCPL)
    assert (protocol.v_min, protocol.v_max) == (2.0, 3.8)
    assert protocol.n_cycles == 7
    rates = {s.c_rate for b in protocol.blocks for s in b.steps if s.c_rate}
    assert len(rates) == 1 and rates.pop() == pytest.approx(1 / 21)  # 0.0467 C in the file
    assert protocol.name.startswith("7 x C/21, 2.00-3.80 V")
    empty = Result.from_timeseries(read_cycler(real_dir / GCPL).head(50), 0.010)
    with pytest.raises(DrysheetInputError, match="give one with --protocol"):
        protocol_like(empty, "short.mpr")


def test_cycling_and_impedance_in_one_file(tmp_path):
    """An EC-Lab table mixing a charge and a discharge (freq 0) with a PEIS sweep: both
    analyses, into one summary."""
    rows = ["time/s\tEwe/V\tI/mA\tNs\tfreq/Hz\tRe(Z)/Ohm\t-Im(Z)/Ohm"]
    rows += [f"{t}\t{3.0 + t / 1e4}\t1.0\t0\t0\t0\t0" for t in range(0, 3600, 60)]
    rows += [f"{t}\t{3.4 - (t - 3600) / 1e4}\t-1.0\t1\t0\t0\t0" for t in range(3600, 7200, 60)]
    for k, f in enumerate(np.logspace(4, -1, 51)):
        z = 10 + 100 / (1 + 2j * np.pi * f * 1e-2)
        rows.append(f"{7200 + k}\t3.0\t0.0\t2\t{f}\t{z.real}\t{-z.imag}")
    path = tmp_path / "mixed.mpt"
    path.write_text("\n".join(rows) + "\n")
    (info,) = run_analyze([path], tmp_path / "out", 1.0, None, None)["files"]
    assert info["n_cycles"] == 1
    assert info["first_charge_capacity_mAh_g"] == pytest.approx(1000.0, rel=0.02)  # 1 mAh/mg
    (sweep,) = info["impedance_sweeps"]
    assert sweep["drt_peak_tau_s"] == [pytest.approx(1e-2, rel=0.1)]
    assert sweep["zhit_max_abs_residual"] < 0.03
    assert {"drt", "zhit", "impedance_plot"} == set(sweep["outputs"])
    assert "cycles" in info["outputs"] and sweep["outputs"]["drt"].endswith("mixed_drt.csv")
    assert f"drt_peak_tau_s=[{sweep['drt_peak_tau_s'][0]:.4g}]" in format_summary(info)


def test_every_sweep_of_a_modulo_bat_file(tmp_path):
    """A real Modulo Bat export (corpus) with three PEIS sweeps of 13 points between
    cycling steps: one analysis per sweep, and the three agree (the cell barely changed)."""
    path = Path(__file__).parent.parent / "data" / "corpus" / "biologic" / "mb.issue_149.mpt"
    (info,) = run_analyze([path], tmp_path, 1.0, None, None)["files"]
    sweeps = info["impedance_sweeps"]
    assert [s["sweep"] for s in sweeps] == [1, 2, 3]
    assert all(s["impedance_points"] == 13 and s["kk_valid"] for s in sweeps)
    assert all(s["zhit_rms_residual"] < 0.01 for s in sweeps)
    r_pol = [s["drt_polarisation_resistance_ohm"] for s in sweeps]
    assert max(r_pol) / min(r_pol) < 1.05
    assert (tmp_path / "mb.issue_149_sweep3_impedance.png").is_file()
    text = format_summary(info)
    assert "impedance sweep 3/3: impedance_points=13" in text and "n_cycles=" in text


CORPUS = Path(__file__).parent.parent / "data" / "corpus" / "biologic"


@pytest.mark.parametrize(
    ("name", "n_sweeps"),
    [("mb.issue_223.mpt", 4), ("geis.issue_149.mpt", 4), ("ocv.issue_149.mpt", 0)],
)
def test_a_file_without_cycling_gets_no_cycle_table(tmp_path, name, n_sweeps):
    """Real EC-Lab files in which no charge passed in a cycling step: a Modulo Bat
    sequence whose only current is a GEIS (its cycling samples are rests), a GEIS and
    an open-circuit record. Impedance outputs only, no mass needed, and the summary
    says so (no cycle table of zeros with a Coulomb efficiency of NaN)."""
    (info,) = run_analyze([CORPUS / name], tmp_path, None, None, None)["files"]
    assert info["no_cycling"] is True
    assert len(info.get("impedance_sweeps", [])) == n_sweeps
    assert not {"n_cycles", "cam_mass_g"} & set(info) and info["outputs"] == {}
    assert not list(tmp_path.glob("*_cycles.csv")) and not list(tmp_path.glob("*_timeseries.csv"))
    assert "note: no charge passed in any cycling step: no cycle table" in format_summary(info)
