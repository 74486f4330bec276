"""The study's symmetric Li | separator | Li cells (docs/system.md §6): the 1000 um
separator of the conductivity measurements, a cold-pressed pellet (0 wt% PTFE) or a
dry PTFE sheet, run through `drysheet.model.symmetric_cell`.

``python -m drysheet.study.symmetric_cell FIGURE.png`` draws the resistance growth of
the pellet and the 0.5 wt% sheet (docs/symmetric_cell.md).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pandas as pd

from drysheet.errors import DrysheetInputError, require_number
from drysheet.model.symmetric_cell import run_symmetric_cell
from drysheet.processing import PTFE_SHEET_RANGE_WT_PCT
from drysheet.study.conductivity_experiments import SEPARATOR_THICKNESS_um, separator_layer


def run_study_symmetric_cell(
    ptfe_wt_pct: float,
    *,
    separator_thickness_um: float = SEPARATOR_THICKNESS_um,
    **run_kwargs: float,
) -> pd.DataFrame:
    """Plate/strip Li through the study's separator at ``ptfe_wt_pct`` (0 = pellet, else a
    sheet in `PTFE_SHEET_RANGE_WT_PCT`); ``run_kwargs`` as in `run_symmetric_cell`."""
    lo, hi = PTFE_SHEET_RANGE_WT_PCT
    ptfe = require_number("ptfe_wt_pct", ptfe_wt_pct, allow_equal=True, maximum=hi)
    if 0 < ptfe < lo:
        raise DrysheetInputError(
            f"ptfe_wt_pct: 0 (pellet) or a sheet's {lo}-{hi} wt% (got {ptfe_wt_pct!r})"
        )
    thickness = require_number(
        "separator_thickness_um",
        separator_thickness_um,
        minimum=10.0,
        allow_equal=True,
        maximum=5e3,
    )
    layer = dataclasses.replace(separator_layer(ptfe), thickness_um=thickness)
    return run_symmetric_cell(layer, **run_kwargs)


if __name__ == "__main__":
    from drysheet.analysis.plots import save
    from drysheet.study.figures import resistance_growth_figure

    print(save(resistance_growth_figure(), Path(sys.argv[1])))
