"""`fit_cell` (drysheet.calibration.user_fit): synthetic recovery, bad input."""

from __future__ import annotations

from importlib import import_module

import numpy as np
import pandas as pd
import pytest
import yaml

from drysheet.calibration import cell_fit
from drysheet.calibration.command import load_calibration
from drysheet.calibration.least_squares import FitParameter
from drysheet.calibration.user_fit import (
    CELL_MODEL_FITS,
    fit_cell,
    fit_parameters,
    fittable_parameters,
    resolve_parameter,
)
from drysheet.calibration.user_observations import RESIDUAL_COLUMNS
from drysheet.cell import study_cell
from drysheet.errors import DrysheetInputError
from drysheet.model.parameters import calibrated_constants
from drysheet.protocols import get_protocol, study_protocol
from drysheet.result import Result
from drysheet.simulate import Simulator

K_OX = "CAM|SE oxidation rate constant [A.m-2]"
STO = "NCM85 stoichiometry scale"
TRUTH = {K_OX: 0.05, STO: 0.93}
START = {K_OX: 1.0, STO: 0.88}  # far from the truth; log10(1) = 0 checks the Jacobian step
MESH = (8, 5)
NOISE = {"discharge_capacity_mAh_g": 1.0, "coulomb_efficiency_pct": 0.3, "voltage_V": 0.005}


@pytest.fixture(scope="module")
def cell():
    return study_cell("uncoated", "sheet-powder")


@pytest.fixture(scope="module")
def protocol():
    return get_protocol("first-cycles")


@pytest.fixture(scope="module")
def clean(cell, protocol) -> Result:
    """The model at TRUTH: what a perfect measurement would show."""
    return Simulator(protocol, mesh=MESH).run(cell, calibrated={**calibrated_constants(), **TRUTH})


@pytest.fixture(scope="module")
def measured(clean) -> Result:
    """TRUTH plus seeded measurement noise on capacities, CE and voltage."""
    rng = np.random.default_rng(1)
    cycles, ts = clean.cycles.copy(), clean.timeseries.copy()
    for column in ("discharge_capacity_mAh_g", "coulomb_efficiency_pct"):
        cycles[column] += rng.normal(0.0, NOISE[column], len(cycles))
    ts["voltage_V"] += rng.normal(0.0, NOISE["voltage_V"], len(ts))
    return Result(ts, cycles, dict(clean.meta))


def assert_recovered(fitted, tolerance: dict[str, float]) -> None:
    """Within 3 sigma of the truth (a 2-sigma check fails ~5 % of correct fits: the noise
    is one seeded draw), with a finite, not absurd sigma."""
    for name, true in TRUTH.items():
        value, sigma = fitted.values[name], fitted.std[name]
        assert np.isfinite(sigma) and 0 < sigma < 0.2 * true, (name, sigma)
        assert abs(value - true) <= max(3 * sigma, tolerance[name]), (name, value, sigma, true)
        assert abs(START[name] - true) > 5 * max(sigma, tolerance[name])  # started far away


def test_recovers_parameters_from_cycle_table(cell, protocol, measured):
    """Default targets (discharge capacity, CE) from a per-cycle table only."""
    fitted = fit_cell(cell, protocol, measured.cycles, [K_OX, STO], initial=START,
                      n_starts=0, mesh=MESH)  # fmt: skip
    assert_recovered(fitted, {K_OX: 0.002, STO: 0.001})
    assert fitted.correlation.shape == (2, 2)
    assert fitted.correlation.loc[K_OX, K_OX] == pytest.approx(1.0)
    assert abs(fitted.correlation.loc[K_OX, STO]) < 1.0
    assert list(fitted.residuals.columns) == list(RESIDUAL_COLUMNS)
    assert sorted(fitted.residuals["cycle"].unique()) == [1, 2]
    assert (fitted.residuals["error"].abs() < 3 * 1.0).all()  # within ~3 noise sigma


def test_recovers_parameters_with_voltage_curves(cell, protocol, measured, tmp_path):
    """Capacities, CE and voltage curves of a time series; outputs written and reusable."""
    fitted = fit_cell(cell, protocol, measured, ["CAM|SE oxidation", STO],
                      targets=("discharge_capacity", "coulomb_efficiency", "voltage"),
                      initial=START, n_starts=0, mesh=MESH)  # fmt: skip
    # floor 0.2 %: voltage residuals carry interpolation error of the adaptive time grid,
    # correlated along each curve, which the Jacobian sigma (iid residuals) leaves out
    assert_recovered(fitted, {K_OX: 0.002, STO: 0.002})
    voltage = fitted.residuals[fitted.residuals["target"] == "voltage"]
    assert len(voltage) == 2 * 2 * 20  # 2 cycles x charge/discharge x 20 capacities
    rms = float(np.sqrt(np.mean(voltage["error"] ** 2)))
    assert rms < 2 * NOISE["voltage_V"]
    paths = fitted.write(tmp_path / "fit")
    doc = yaml.safe_load(paths["calibration"].read_text())
    assert doc["parameters"][STO]["value"] == pytest.approx(fitted.values[STO])
    assert doc["parameters"][STO]["bounds"] == [0.85, 1.0]
    assert set(doc["residuals"]) >= {"discharge_capacity/cycle 1", "voltage/cycle 2/discharge"}
    assert pd.read_csv(paths["residuals"]).shape[0] == len(fitted.residuals)
    assert paths["overlay"].stat().st_size > 5000
    constants = load_calibration(paths["calibration"])
    assert constants[STO] == pytest.approx(fitted.values[STO])
    assert set(constants) == set(calibrated_constants())
    rerun = Simulator(protocol, mesh=MESH).run(cell, calibrated=constants)
    assert rerun.cycles["discharge_capacity_mAh_g"].to_numpy() == pytest.approx(
        fitted.simulated.cycles["discharge_capacity_mAh_g"].to_numpy())  # fmt: skip


@pytest.mark.slow
def test_recovers_three_parameters_multistart():
    """Three constants from five cycles (formation + C/10 of the rate test), default mesh,
    multi-start from the Latin hypercube only."""
    cell, protocol = study_cell("uncoated", "sheet-powder"), study_protocol().truncated(5)
    passivation = "SE oxidation passivation charge [C.m-2]"
    truth = {**TRUTH, passivation: 300.0}
    clean = Simulator(protocol).run(cell, calibrated={**calibrated_constants(), **truth})
    fitted = fit_cell(cell, protocol, clean, list(truth),
                      targets=("discharge_capacity", "coulomb_efficiency", "voltage"),
                      n_starts=3, seed=2)  # fmt: skip
    for name, true in truth.items():
        assert fitted.values[name] == pytest.approx(true, rel=0.05), fitted.describe()


# --- bad input ------------------------------------------------------------------------


FITS = "drysheet.calibration"


def test_fittable_parameters_are_those_of_the_cell_model_fits():
    registry = fittable_parameters()
    expected = [p.name for m in CELL_MODEL_FITS for p in import_module(f"{FITS}.{m}").PARAMETERS]
    assert list(registry) == expected
    assert {p.name for p in cell_fit.PARAMETERS} <= set(registry) <= set(calibrated_constants())
    assert all(isinstance(p, FitParameter) for p in registry.values())


def test_unknown_parameter_lists_the_allowed_names(cell, protocol, measured):
    with pytest.raises(DrysheetInputError, match="is not a fittable parameter") as err:
        fit_cell(cell, protocol, measured.cycles, ["NCM85 capacity"])
    assert "'NCM85 capacity'" in str(err.value) and STO in str(err.value)
    with pytest.raises(DrysheetInputError, match="matches 2 parameters"):
        resolve_parameter("NCM85")
    with pytest.raises(DrysheetInputError, match="one or more names"):
        fit_parameters([])
    with pytest.raises(DrysheetInputError, match="more than once"):
        fit_parameters([STO, "ncm85 stoichiometry"])


def test_bounds_must_lie_within_the_metadata(cell, protocol, measured):
    with pytest.raises(DrysheetInputError, match=r"allowed range \[0.85, 1\]"):
        fit_cell(cell, protocol, measured.cycles, [STO], bounds={STO: (0.8, 0.95)})
    with pytest.raises(DrysheetInputError, match="increasing"):
        fit_parameters([STO], bounds={STO: (0.95, 0.9)})
    with pytest.raises(DrysheetInputError, match="not among the fitted"):
        fit_parameters([STO], bounds={K_OX: (0.01, 0.1)})
    with pytest.raises(DrysheetInputError, match="initial value of"):
        fit_cell(cell, protocol, measured.cycles, [STO], bounds={STO: (0.9, 0.95)},
                 initial={STO: 0.88})  # fmt: skip
    narrowed = fit_parameters([STO], bounds={STO: (0.9, 0.95)})[0]
    assert (narrowed.lower, narrowed.upper, narrowed.unit) == (0.9, 0.95, "-")


def test_no_overlapping_cycles_is_a_clear_error(cell, protocol, measured):
    late = measured.cycles.assign(cycle=measured.cycles["cycle"] + 4)  # cycles 5-6
    with pytest.raises(DrysheetInputError, match="no cycle to fit") as err:
        fit_cell(cell, protocol, late, [STO])
    assert "cycles 5-6" in str(err.value) and "1-2" in str(err.value)
    with pytest.raises(DrysheetInputError, match="chosen cycles 7-9"):
        fit_cell(cell, protocol, measured.cycles, [STO], cycles=[7, 8, 9])


def test_other_bad_input(cell, protocol, measured):
    with pytest.raises(DrysheetInputError, match="needs a measured time series"):
        fit_cell(cell, protocol, measured.cycles, [STO], targets=("voltage",))
    with pytest.raises(DrysheetInputError, match="no column 'coulomb_efficiency_pct'"):
        fit_cell(cell, protocol, measured.cycles[["cycle", "discharge_capacity_mAh_g"]], [STO])
    doubled = pd.concat([measured.cycles, measured.cycles])
    with pytest.raises(DrysheetInputError, match=r"cycle numbers \[1, 2\] repeat"):
        fit_cell(cell, protocol, doubled, [STO])
    with pytest.raises(DrysheetInputError, match=r"allowed:.*discharge_capacity"):
        fit_cell(cell, protocol, measured.cycles, [STO], targets=("capacity",))
    with pytest.raises(DrysheetInputError, match="tolerances"):
        fit_cell(cell, protocol, measured.cycles, [STO], tolerances={"voltage": -1.0})
    with pytest.raises(DrysheetInputError, match="voltage cycles"):
        fit_cell(cell, protocol, measured, [STO], targets=("voltage",), voltage_cycles=[3])
