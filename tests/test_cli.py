import pandas as pd
from typer.testing import CliRunner

from drysheet.cli import app

runner = CliRunner()


def test_simulate_writes_timeseries_cycles_and_plot(tmp_path):
    out = tmp_path / "sim"
    res = runner.invoke(app, ["simulate", "coated/sheet-sheet", "--protocol", "first-cycles",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    cycles = pd.read_csv(out / "cycles.csv")
    assert len(cycles) == 2 and cycles["discharge_capacity_mAh_g"].iloc[0] > 150
    assert (out / "voltage.png").stat().st_size > 1000
    assert "status: completed" in res.output


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
    assert res.exit_code == 2 and "use 'transport' or 'cell'" in res.output
