"""The report's summary of the retention calibration: fit and leave-one-out errors."""

import numpy as np
import pytest

from drysheet.study.retention_summary import fit_summary


def test_fit_summary_counts_within_tolerance_and_leaves_flagged_loo_rows_out():
    def row(error, loo, h, method):
        return {"error": error, "leave_one_out_error": loo, "leverage": h, "loo_method": method}

    residuals = {
        "a": row(1.0, 2.0, 0.3, "linearised"),
        "b": row(-4.0, -30.0, 0.9, "linearised, h > 0.5"),  # overstated: left out
        "c": row(0.0, 4.0, 0.97, "refit"),  # refitted: kept whatever its leverage
    }
    s = fit_summary(residuals)
    assert s["within_tolerance"] == 2 and s["cells"] == 3
    assert s["rms_error"] == pytest.approx(np.sqrt(17.0 / 3))
    assert s["loo_cells"] == 2
    assert s["loo_rms_error"] == pytest.approx(np.sqrt(10.0))
