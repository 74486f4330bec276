"""The joint calibration: its stacking of residuals, its steps and the file it writes."""

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml

from drysheet.calibration import joint_fit, laplace, retention_fit
from drysheet.model import registry
from drysheet.model.posterior import INSIDE, draw_constants
from drysheet.study.cross_validation import Linearisation, cross_validate


def test_stacked_residuals_are_in_tolerance_units_and_a_failed_run_is_a_large_miss():
    table = pd.DataFrame(
        {
            "key": ["sigma", "first_ce/x", "retention_100/x"],
            "group": ["transport", "first_cycle", "retention"],
            "target": [2.0, 90.0, 80.0],
            "tolerance": [math.log(1.05), 1.5, 3.0],
            "log": [True, False, False],
        }
    )
    r = joint_fit.stacked_residuals(
        table, {"sigma": 2.1, "first_ce/x": 91.5, "retention_100/x": 77.0}
    )
    assert r == pytest.approx([1.0, 1.0, -1.0])
    failed = joint_fit.stacked_residuals(
        table, {"sigma": 2.1, "first_ce/x": math.nan, "retention_100/x": math.nan}
    )
    assert failed[1:].tolist() == [50.0, retention_fit.FAILED_CELL_RESIDUAL]


def test_residual_table_stacks_every_calibration_target_once():
    table = joint_fit.residual_table()
    assert table.groupby("group", sort=False).size().to_dict() == {
        "transport": 9,
        "first_cycle": 18,
        "retention": 9,
        "gas": 3,
    }
    assert table.key.is_unique
    assert (table.log == (table.group == "transport")).all()


def test_fd_steps_follow_the_chain_sigma_within_the_range_limits():
    params = joint_fit.PARAMETERS[:2]
    ranges = np.array([np.subtract(*p.internal_bounds[::-1]) for p in params])
    steps = joint_fit.fd_steps(params, {params[0].name: 1e-9, params[1].name: 1e3})
    assert steps == pytest.approx([joint_fit.STEP_MIN * ranges[0], joint_fit.STEP_MAX * ranges[1]])


def written_calibration(tmp_path):
    """A joint calibration file as the command writes it, from a model linear in the
    internal coordinates (Jacobian J, residuals r at the chain's values) instead of runs."""
    coords = laplace.BoxCoordinates(joint_fit.PARAMETERS)
    table = joint_fit.residual_table()
    z0 = coords.to_internal(joint_fit.chain_values())
    rng = np.random.default_rng(0)
    J = rng.normal(size=(len(table), len(z0)))
    r0 = rng.normal(scale=0.5, size=len(table))

    def evaluate(points):
        return [r0 + J @ (z - z0) for z in points]

    steps = joint_fit.fd_steps(joint_fit.PARAMETERS, joint_fit.chain_sd_internal())
    result = laplace.fit_laplace(evaluate, coords, z0, steps, n_steps=1, n_draws=8, seed=1)
    # observables whose scaled residuals are those of the final point
    r = result.residuals
    observables = {
        k: float(t * np.exp(tol * ri) if log else t + tol * ri)
        for k, t, tol, log, ri in zip(
            table.key, table.target, table.tolerance, table.log, r, strict=True
        )
    }
    model = SimpleNamespace(table=table, load=[9.0, 11.0])
    settings = {"command": "python -m drysheet.calibration.joint_fit", "seed": 1}
    doc = joint_fit.calibration_document(result, observables, model, settings, 60.0)
    path = tmp_path / "joint_calibration.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path, result, coords


def test_the_written_file_is_what_posterior_draws_and_cross_validation_read(tmp_path):
    path, result, coords = written_calibration(tmp_path)
    doc = yaml.safe_load(path.read_text())
    registry.check_calibration_file(path)
    assert [r["scaled"] for r in doc["residuals"].values()] == pytest.approx(result.residuals)
    draws = draw_constants(2000, paths=(path,))
    assert draws.files[0].bounds_handling == INSIDE and "joint calibration" in draws.description()
    values = [
        c | {g: getattr(gas, g) for g in joint_fit.GAS_NAMES}
        for c, gas in zip(draws.cell, draws.gas, strict=True)
    ]
    z = np.array([coords.to_internal(v) for v in values])  # raises if a draw left its bounds
    sd = np.sqrt(np.diag(result.covariance))
    assert np.abs(z.mean(axis=0) - result.z).max() < 4 * sd.max() / np.sqrt(2000)
    assert z.std(axis=0) == pytest.approx(sd, rel=0.1)
    assert [t.sigma_se_25C_S_per_m for t in draws.transport] == [
        c["sigma_se_25C_S_per_m"] for c in draws.cell
    ]
    for name, p in doc["parameters"].items():  # 1 sigma: the delta method of the covariance
        assert p["std"] == pytest.approx(coords.value_sd(result.z, result.covariance)[name])
    lin = Linearisation.read(path)  # leave-one-out reads the mixed log / linear rows
    assert lin.log.tolist() == joint_fit.residual_table().log.tolist()
    assert lin.r == pytest.approx(result.residuals)
    assert len(cross_validate(path).rows) == len(lin.keys)
    weights = np.exp(doc["posterior_check"]["draws"]["log_weights"])
    assert weights.sum() == pytest.approx(1.0)
    assert doc["posterior_check"]["effective_sample_size"] == pytest.approx(1 / np.sum(weights**2))


def test_recorded_command_leaves_out_where_files_went():
    """The stored file records the options that decide the result, not local paths."""
    args = ["--checkpoint", "/tmp/x.jsonl", "--steps", "2", "--out=/tmp/j.yaml", "--draws", "8"]
    kept = [a for i, a in enumerate(args) if not joint_fit._is_location(args, i)]
    assert kept == ["--steps", "2", "--draws", "8"]
