"""The study's Li|separator|Li cells: the pellet or PTFE sheet of the conductivity set-up."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from drysheet.errors import DrysheetInputError
from drysheet.model.symmetric_cell import run_symmetric_cell
from drysheet.study.conductivity_experiments import separator_layer
from drysheet.study.symmetric_cell import run_study_symmetric_cell


def test_runs_the_model_on_the_study_separator():
    sheet = run_study_symmetric_cell(0.5, separator_thickness_um=500.0, n_cycles=1)
    layer = dataclasses.replace(separator_layer(0.5), thickness_um=500.0)
    pd.testing.assert_frame_equal(sheet, run_symmetric_cell(layer, n_cycles=1))
    assert sheet.attrs["ptfe_wt_pct"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("ptfe_wt_pct", {"ptfe_wt_pct": 0.05}),
        ("ptfe_wt_pct", {"ptfe_wt_pct": -1.0}),
        ("ptfe_wt_pct", {"ptfe_wt_pct": False}),
        ("separator_thickness_um", {"separator_thickness_um": -1.0}),
    ],
)
def test_bad_inputs_name_the_field(field, kwargs):
    args = {"ptfe_wt_pct": 0.5, "n_cycles": 1, **kwargs}
    with pytest.raises(DrysheetInputError, match=field):
        run_study_symmetric_cell(args.pop("ptfe_wt_pct"), **args)
