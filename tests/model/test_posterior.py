"""Posterior draws of the calibrated constants from a calibration file's covariance."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from drysheet.errors import DrysheetInputError
from drysheet.model.posterior import CLIPPING, REJECTION, Covariance, draw_constants

SCALE = "NCM85 stoichiometry scale"  # a cell-model constant fitted as a value
RATE = "CAM|SE oxidation rate constant [A.m-2]"  # one fitted in decades
DROP = "NCM85 diffusivity drop [decades]"  # not in the covariance: keeps its stored value
MATRIX = [[4e-4, 1e-3], [1e-3, 0.09]]  # internal space: (value, log10 value)


def write_calibration(path: Path, matrix=MATRIX, bounds=((0.8, 1.0), (1e-4, 10.0))) -> Path:
    """A calibration file in the shape the fits write: parameters, covariance, jacobian."""
    doc = {
        "produced_by": "python -m drysheet.calibration.cell_fit",
        "parameters": {
            SCALE: {"value": 0.9, "bounds": list(bounds[0])},
            RATE: {"value": 0.05, "bounds": list(bounds[1])},
            DROP: {"value": 0.87, "bounds": [0.0, 3.0]},
        },
        "covariance": {
            "space": "internal",
            "parameters": [SCALE, RATE],
            "log10": [False, True],
            "matrix": matrix,
        },
        "jacobian": {"residual_keys": ["first_ce/x/y"], "tolerance": [1.5], "matrix": [[1, 2]]},
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_draws_follow_the_covariance_in_internal_space(tmp_path):
    path = write_calibration(tmp_path / "cell.yaml", bounds=((0.0, 2.0), (1e-9, 1e3)))
    draws = draw_constants(4000, paths=(path,))
    z = np.array([[d[SCALE], np.log10(d[RATE])] for d in draws.cell])
    assert draws.files[0].bounds_handling == REJECTION
    assert np.allclose(z.mean(axis=0), [0.9, np.log10(0.05)], atol=4 * np.sqrt(0.09 / 4000))
    # sample covariance within sampling error (relative sd of a variance ~ sqrt(2/n) = 2.2 %)
    assert np.allclose(np.cov(z.T), MATRIX, rtol=0.1, atol=2e-4)
    assert {d[DROP] for d in draws.cell} == {0.87}  # not in the covariance: not varied


def test_draws_respect_the_bounds(tmp_path):
    path = write_calibration(tmp_path / "cell.yaml", bounds=((0.88, 0.95), (0.03, 0.2)))
    draws = draw_constants(500, paths=(path,))
    scale = np.array([d[SCALE] for d in draws.cell])
    rate = np.array([d[RATE] for d in draws.cell])
    assert draws.files[0].bounds_handling == REJECTION
    assert scale.min() >= 0.88 and scale.max() <= 0.95
    assert rate.min() >= 0.03 and rate.max() <= 0.2
    assert np.unique(scale).size == 500  # truncated, not piled on the bounds


def test_an_unpinned_constant_is_clipped_and_says_so(tmp_path):
    wide = [[4e-4, 0.0], [0.0, 1e6]]  # 1000 decades: almost no candidate inside the bounds
    path = write_calibration(tmp_path / "cell.yaml", matrix=wide)
    draws = draw_constants(200, paths=(path,))
    rate = np.array([d[RATE] for d in draws.cell])
    assert draws.files[0].bounds_handling == CLIPPING
    assert draws.files[0].acceptance < 0.01
    assert set(np.unique(rate)) == {1e-4, 10.0}
    assert "clipped" in draws.description()


def transport_calibration(path: Path, variance: float) -> Path:
    """A transport calibration file varying the SE grain conductivity only."""
    doc = {
        "produced_by": "python -m drysheet.calibration.transport_fit",
        "parameters": {"sigma_se_25C_S_per_m": {"value": 0.34, "bounds": [0.1, 2.0]}},
        "covariance": {
            "space": "internal",
            "parameters": ["sigma_se_25C_S_per_m"],
            "log10": [False],
            "matrix": [[variance]],
        },
    }
    path.write_text(yaml.safe_dump(doc))
    return path


def test_draws_are_reproducible_and_one_file_does_not_move_another(tmp_path):
    cell = write_calibration(tmp_path / "cell.yaml")
    narrow = draw_constants(5, paths=(transport_calibration(tmp_path / "t1.yaml", 1e-4), cell))
    wide = draw_constants(5, paths=(transport_calibration(tmp_path / "t2.yaml", 4e-4), cell))
    assert narrow.cell == draw_constants(5, paths=(tmp_path / "t1.yaml", cell)).cell
    assert [d[RATE] for d in narrow.cell] == [d[RATE] for d in wide.cell]
    sigma = [t.sigma_se_25C_S_per_m for t in narrow.transport]
    assert len(set(sigma)) == 5
    assert sigma == [d["sigma_se_25C_S_per_m"] for d in narrow.cell]  # what cell_inputs reads


def test_a_file_without_covariance_is_a_clear_error(tmp_path):
    path = write_calibration(tmp_path / "cell.yaml")
    doc = yaml.safe_load(path.read_text())
    del doc["covariance"]
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(DrysheetInputError, match=r"cell\.yaml: no 'covariance' block"):
        draw_constants(2, paths=(path,))
    with pytest.raises(DrysheetInputError, match="draws"):
        draw_constants(0, paths=(path,))


def test_a_covariance_of_the_wrong_shape_is_a_clear_error(tmp_path):
    path = write_calibration(tmp_path / "cell.yaml", matrix=[[1.0]])
    with pytest.raises(DrysheetInputError, match="does not match"):
        Covariance.read(path)
