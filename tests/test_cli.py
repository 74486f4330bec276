from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from drysheet.analysis import read_cycler, read_impedance
from drysheet.cli import app
from drysheet.result import cycle_table

runner = CliRunner()
NDAX = Path(__file__).parent / "data" / "real" / "test.ndax"


def test_simulate_writes_timeseries_cycles_and_plot(tmp_path):
    out = tmp_path / "sim"
    args = ["simulate", "coated/sheet-sheet", "--protocol", "first-cycles", "--out", str(out)]
    res = runner.invoke(app, [*args, "--bdf"])
    assert res.exit_code == 0, res.output
    cycles = pd.read_csv(out / "cycles.csv")
    assert len(cycles) == 2 and cycles["discharge_capacity_mAh_g"].iloc[0] > 150
    assert (out / "voltage_capacity.png").stat().st_size > 1000
    assert (out / "voltage_capacity.svg").stat().st_size > 1000
    assert "status: completed" in res.output
    assert "discharge [mAh/g]" in res.output and "CE [%]" in res.output  # the cycle table
    assert f"{cycles['discharge_capacity_mAh_g'].iloc[0]:.1f}" in res.output
    states = pd.read_csv(out / "cycle_states.csv")
    assert len(states) == 2 and (states["connected_cam"] <= 1).all()
    for suffix in (".csv", ".parquet"):  # the BDF time series gives the same cycle table
        ts = read_cycler(out / f"timeseries_bdf{suffix}")
        again = cycle_table(ts, 1.0).drop(columns="label")
        reference = cycle_table(pd.read_csv(out / "timeseries.csv"), 1.0).drop(columns="label")
        pd.testing.assert_frame_equal(again, reference, rtol=1e-9)


def test_simulate_with_a_user_calibration(tmp_path):
    cal = tmp_path / "calibration.yaml"
    cal.write_text("parameters:\n  NCM85 stoichiometry scale: {value: 0.86}\n")
    args = ["simulate", "coated/sheet-sheet", "--protocol", "first-cycles"]
    res = runner.invoke(app, [*args, "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, [*args, "--calibration", str(cal), "--out", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    q = [pd.read_csv(tmp_path / d / "cycles.csv")["discharge_capacity_mAh_g"].iloc[0] for d in "ab"]
    assert q[1] > q[0] + 5  # a smaller scale stretches the OCP: more capacity inside 3.7 V
    cal.write_text("parameters:\n  Stoichiometry: {value: 0.9}\n")
    res = runner.invoke(app, [*args, "--calibration", str(cal), "--out", str(tmp_path / "c")])
    assert res.exit_code == 2 and "unknown cell-model constant" in res.output


def test_bad_cell_gives_one_line_error_not_traceback(tmp_path):
    res = runner.invoke(app, ["simulate", "coated/pouch", "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "architecture" in res.output and "Traceback" not in res.output
    bad = tmp_path / "cell.yaml"
    bad.write_text("formulation: coated\narchitecture: sheet-sheet\ncam_loading_mg_cm2: -1\n")
    res = runner.invoke(app, ["simulate", str(bad), "--out", str(tmp_path)])
    assert res.exit_code == 2 and "cam_loading_mg_cm2" in res.output


def test_sweep_refuses_an_unknown_model_before_running(tmp_path):
    space = tmp_path / "space.yaml"
    space.write_text("carbon_wt_pct: [0, 1]\n")
    res = runner.invoke(
        app, ["sweep", str(space), "--out", str(tmp_path / "s"), "--model", "quick"]
    )
    assert res.exit_code == 2 and "--model: 'quick' is not one of full, fast" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "s").exists()


def test_unknown_calibration_target(tmp_path):
    res = runner.invoke(app, ["calibrate", "everything", "--out", str(tmp_path / "c")])
    assert res.exit_code == 2 and "use one of transport, cell, gas, retention" in res.output


def test_analyze_with_simulation_overlay(tmp_path):
    """A simulated run exported as cycler CSV, analysed, and overlaid with a new simulation."""
    from drysheet.cell import study_cell
    from drysheet.protocols import study_protocol
    from drysheet.result import write_cycler_csv
    from drysheet.simulate import Simulator

    measured = Simulator(study_protocol().truncated(2)).run(study_cell("coated", "sheet-sheet"))
    csv_path = write_cycler_csv(measured, tmp_path / "lab.csv")
    out = tmp_path / "an"
    res = runner.invoke(
        app,
        [
            "analyze",
            str(csv_path),
            "--out",
            str(out),
            "--simulate",
            "coated/sheet-sheet",
            "--protocol",
            "first-cycles",
        ],
    )
    assert res.exit_code == 0, res.output
    sim = pd.read_csv(out / "lab_simulation_cycles.csv")
    lab = pd.read_csv(out / "lab_cycles.csv")
    assert sim["discharge_capacity_mAh_g"].iloc[0] == pytest.approx(
        lab["discharge_capacity_mAh_g"].iloc[0], rel=1e-3
    )
    assert (out / "lab_vs_simulation.png").exists()


def test_simulate_defaults_to_the_short_protocol_and_reads_two_calibrations(tmp_path):
    first = tmp_path / "first.yaml"
    first.write_text("parameters:\n  NCM85 stoichiometry scale: {value: 0.86}\n")
    second = tmp_path / "second.yaml"
    second.write_text("parameters:\n  Fatigue strain exponent: {value: 30}\n")
    from drysheet.calibration.command import load_calibration

    both = load_calibration(first, second)
    assert both["NCM85 stoichiometry scale"] == 0.86 and both["Fatigue strain exponent"] == 30
    res = runner.invoke(app, ["simulate", "coated/sheet-sheet", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "protocol 'first-cycles'" in res.output
    assert len(pd.read_csv(tmp_path / "o" / "cycles.csv")) == 2


@pytest.mark.parametrize(
    "command",
    [
        ["simulate", "coated/sheet-sheet"],
        ["reproduce"],
        ["analyze", str(NDAX), "--mass-mg", "1"],
        ["calibrate", "gas"],
        ["fit", str(NDAX), "--cell", "coated/sheet-sheet", "--protocol",
         "first-cycles", "--param", "NCM85 stoichiometry scale"],
    ],
)  # fmt: skip
def test_outputs_are_never_written_over(tmp_path, command):
    """Before any work: a non-empty --out is refused without --overwrite, and an --out
    that is a file is refused with one line (no traceback, nothing written)."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.csv").write_text("keep me")
    res = runner.invoke(app, [*command, "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "already holds precious.csv" in res.output and "--overwrite" in res.output
    assert (out / "precious.csv").read_text() == "keep me"
    assert [p.name for p in out.iterdir()] == ["precious.csv"]
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    res = runner.invoke(app, [*command, "--out", str(a_file)])
    assert res.exit_code == 2 and "is a file" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, [*command, "--out", str(a_file / "sub")])
    assert res.exit_code == 2 and "is a file, not a folder" in res.output


def test_overwrite_replaces_drysheet_files_only(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.csv").write_text("keep me")
    args = ["analyze", str(NDAX), "--mass-mg", "1", "--out", str(out)]
    res = runner.invoke(app, [*args, "--overwrite"])
    assert res.exit_code == 0, res.output
    assert (out / "precious.csv").read_text() == "keep me"
    assert (out / "test_cycles.csv").exists()


def test_calibrate_writes_into_out_and_never_into_the_package(tmp_path, monkeypatch):
    """The CLI hands the fit a path in --out; the stored calibration is not touched."""
    import drysheet.calibration.gas_fit as gas_fit
    from drysheet.model.gas import GAS_CALIBRATION_FILE

    stored = GAS_CALIBRATION_FILE.read_bytes()
    written = []

    def fake_main(path, covariance_only=False):
        written.append(path)
        path.write_text("parameters: {}\n")

    monkeypatch.setattr(gas_fit, "main", fake_main)
    res = runner.invoke(app, ["calibrate", "gas", "--out", str(tmp_path / "cal")])
    assert res.exit_code == 0, res.output
    assert written == [tmp_path / "cal" / "gas_calibration.yaml"]
    assert GAS_CALIBRATION_FILE.read_bytes() == stored
    assert "the stored gas calibration is unchanged" in res.output


def test_analyze_an_impedance_spectrum(tmp_path):
    """A real EC-Lab PEIS export (one arc) beside a cycler file: DRT, Z-HIT and KK.

    References from the raw data: the arc's apex (largest -Im Z, at 0.30 Hz) gives
    tau = 1/(2 pi f_apex); its width, Re Z at the lowest frequency less the
    high-frequency plateau, the polarisation resistance.
    """
    mpt = NDAX.parent / "exampleDataBioLogic.mpt"
    out = tmp_path / "an"
    res = runner.invoke(app, ["analyze", str(mpt), str(NDAX), "--mass-mg", "1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "drt_peak_tau_s=[" in res.output and "zhit_rms_residual=" in res.output
    assert (out / "exampleDataBioLogic_impedance.png").stat().st_size > 1000
    assert (out / "test_cycles.csv").exists()
    spectrum = read_impedance(mpt)
    apex = spectrum.loc[spectrum["z_imag_ohm"].idxmin()]
    plateau = spectrum.loc[spectrum["freq_Hz"] > 10, "z_real_ohm"].median()
    width = spectrum["z_real_ohm"].iloc[-1] - plateau
    drt = pd.read_csv(out / "exampleDataBioLogic_drt.csv")
    tau_peak = drt["tau_s"][drt["gamma_ohm"].idxmax()]
    assert tau_peak == pytest.approx(1 / (2 * np.pi * apex["freq_Hz"]), rel=0.2)
    assert np.trapezoid(drt["gamma_ohm"], np.log(drt["tau_s"])) == pytest.approx(width, rel=0.05)
    zhit = pd.read_csv(out / "exampleDataBioLogic_zhit.csv")
    clean = zhit[zhit["freq_Hz"] < 3]  # below the noisy end, where |Z| scatters by 5 %
    assert np.sqrt(np.mean(clean["residual"] ** 2)) < 0.01


def test_calibrate_covariance_only_copies_the_stored_values_with_their_uncertainty(tmp_path):
    """--covariance-only: the stored transport calibration, Jacobian recomputed, no refit."""
    from drysheet.transport import CALIBRATION_FILE

    stored = yaml.safe_load(CALIBRATION_FILE.read_text())
    out = tmp_path / "cal"
    res = runner.invoke(app, ["calibrate", "transport", "--covariance-only", "--out", str(out)])
    assert res.exit_code == 0, res.output
    copy = yaml.safe_load((out / "transport_calibration.yaml").read_text())
    assert {k: v["value"] for k, v in copy["parameters"].items()} == {
        k: v["value"] for k, v in stored["parameters"].items()
    }
    assert copy["jacobian"]["residual_keys"] == stored["jacobian"]["residual_keys"]
    assert np.array(copy["covariance"]["matrix"]) == pytest.approx(
        np.array(stored["covariance"]["matrix"]), rel=1e-6
    )


def test_reproduce_passes_its_draws_and_refuses_negative_ones(tmp_path, monkeypatch):
    import drysheet.study.reproduce as module

    seen = {}

    def fake(out, progress, draws, scheduler):
        seen.update(draws=draws, scheduler=scheduler)
        out.mkdir(parents=True)
        (out / "observables.csv").write_text("key,value,unit,target,low,high,role\n")
        return out / "report.html"

    monkeypatch.setattr(module, "reproduce", fake)
    res = runner.invoke(app, ["reproduce", "--out", str(tmp_path / "a"), "--draws", "0"])
    assert res.exit_code == 0, res.output
    assert seen == {"draws": 0, "scheduler": None}
    res = runner.invoke(app, ["reproduce", "--out", str(tmp_path / "b")])
    assert seen["draws"] == 32
    res = runner.invoke(app, ["reproduce", "--out", str(tmp_path / "c"), "--draws", "-1"])
    assert res.exit_code == 2 and "greater than or equal to 0" in res.output
