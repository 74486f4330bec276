"""`drysheet fit` on the command line (drysheet.calibration.command): option parsing,
files in, outputs written, one-line errors."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from drysheet.calibration.command import parse_bound, parse_mesh
from drysheet.cell import study_cell
from drysheet.cli import app
from drysheet.errors import DrysheetInputError
from drysheet.model.parameters import calibrated_constants
from drysheet.protocols import get_protocol
from drysheet.result import Result, write_cycler_csv
from drysheet.simulate import Simulator

STO = "NCM85 stoichiometry scale"
TRUTH = {STO: 0.93}


@pytest.fixture(scope="module")
def sto_only() -> Result:
    """The model at the stored calibration except the stoichiometry scale at TRUTH."""
    return Simulator(get_protocol("first-cycles"), mesh=(8, 5)).run(
        study_cell("uncoated", "sheet-powder"), calibrated={**calibrated_constants(), **TRUTH}
    )


def test_bad_bound_and_mesh():
    with pytest.raises(DrysheetInputError, match="NAME=LOWER:UPPER"):
        parse_bound("NCM85 stoichiometry scale=0.9")
    assert parse_bound("a=b=1:2") == ("a=b", (1.0, 2.0))
    with pytest.raises(DrysheetInputError, match="--mesh"):
        parse_mesh("8")


runner = CliRunner()


def test_fit_command_on_a_cycles_csv(sto_only, tmp_path):
    """`drysheet fit` on a per-cycle CSV as `drysheet analyze` writes it."""
    table = tmp_path / "lab_cycles.csv"
    sto_only.cycles.to_csv(table, index=False)
    out = tmp_path / "fit"
    res = runner.invoke(app, ["fit", str(table), "--cell", "uncoated/sheet-powder",
                              "--protocol", "first-cycles", "--param", "ncm85 stoich",
                              "--starts", "0", "--mesh", "8x5", "--out", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert re.search(rf"{STO} = 0\.9[23]\d* \+- [\d.e-]+ -\n", res.output), res.output
    doc = yaml.safe_load((out / "calibration.yaml").read_text())
    assert doc["parameters"][STO]["value"] == pytest.approx(TRUTH[STO], abs=2e-3)
    assert doc["settings"]["measured"] == str(table)
    assert doc["protocol"] == "first-cycles"  # what ran, not the study's name
    assert len(doc["protocol_definition"]["blocks"]) == 2
    assert "fitted cycles 1, 2 of the measured 1-2, simulated through protocol" in res.output
    residuals = pd.read_csv(out / "fit_residuals.csv")
    assert set(residuals["target"]) == {"discharge_capacity", "coulomb_efficiency"}
    assert (out / "fit_overlay.png").stat().st_size > 5000


def test_fit_command_on_a_cycler_file_with_voltage(sto_only, tmp_path):
    lab = write_cycler_csv(sto_only, tmp_path / "lab.csv")
    out = tmp_path / "fit"
    res = runner.invoke(app, ["fit", str(lab), "--cell", "uncoated/sheet-powder",
                              "--protocol", "first-cycles", "--param", STO, "--voltage",
                              "--cycles", "1", "--bound", f"{STO}=0.9:0.96", "--starts", "0",
                              "--mesh", "8x5", "--out", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    residuals = pd.read_csv(out / "fit_residuals.csv")
    assert set(residuals["cycle"]) == {1} and "voltage" in set(residuals["target"])
    doc = yaml.safe_load((out / "calibration.yaml").read_text())
    assert doc["parameters"][STO]["bounds"] == [0.9, 0.96]
    assert doc["parameters"][STO]["value"] == pytest.approx(TRUTH[STO], abs=2e-3)


def test_fit_command_bad_parameter_is_one_line_error(sto_only, tmp_path):
    table = tmp_path / "lab_cycles.csv"
    sto_only.cycles.to_csv(table, index=False)
    res = runner.invoke(app, ["fit", str(table), "--cell", "uncoated/sheet-powder",
                              "--protocol", "first-cycles", "--param", "porosity"])  # fmt: skip
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "'porosity' is not a fittable parameter" in res.output and STO in res.output
