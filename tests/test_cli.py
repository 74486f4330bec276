import pandas as pd
import pytest
from typer.testing import CliRunner

from drysheet.cli import app

runner = CliRunner()


def test_simulate_writes_timeseries_cycles_and_plot(tmp_path):
    out = tmp_path / "sim"
    res = runner.invoke(
        app, ["simulate", "coated/sheet-sheet", "--protocol", "first-cycles", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    cycles = pd.read_csv(out / "cycles.csv")
    assert len(cycles) == 2 and cycles["discharge_capacity_mAh_g"].iloc[0] > 150
    assert (out / "voltage.png").stat().st_size > 1000
    assert "status: completed" in res.output
    states = pd.read_csv(out / "cycle_states.csv")
    assert len(states) == 2 and (states["connected_cam"] <= 1).all()


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


def test_unknown_calibration_target():
    res = runner.invoke(app, ["calibrate", "everything"])
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
    sim = pd.read_csv(out / "simulation_cycles.csv")
    lab = pd.read_csv(out / "lab_cycles.csv")
    assert sim["discharge_capacity_mAh_g"].iloc[0] == pytest.approx(
        lab["discharge_capacity_mAh_g"].iloc[0], rel=1e-3
    )
    assert (out / "lab_vs_simulation.png").exists()
