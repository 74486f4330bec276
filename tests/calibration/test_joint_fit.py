"""The joint calibration's stacking of residuals and its finite-difference steps."""

import math

import numpy as np
import pandas as pd
import pytest

from drysheet.calibration import joint_fit, retention_fit


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
