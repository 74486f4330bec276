"""How well the retention calibration fits and predicts the study's nine retentions.

`drysheet.calibration.retention_fit` writes, per cell, the fit error and a
leave-one-out (LOO) error with how it was obtained (``loo_method``); the report
summarises them here. The direction of the dependency: calibration uses the study's
set-ups, targets and these definitions; the study never imports calibration.
"""

from __future__ import annotations

import numpy as np

TOLERANCE_PCT = 3.0  # acceptance tolerance of a retention, % points (residual scale)
# above this leverage a cell alone pins a parameter: e_i / (1 - h_ii) diverges as
# h_ii -> 1 and overstates the LOO error; only --exact-loo refits say more
LEVERAGE_UNRELIABLE = 0.5
# how each row's LOO error was obtained (its ``loo_method``)
LOO_LINEARISED = "linearised"
LOO_FLAGGED = f"linearised, h > {LEVERAGE_UNRELIABLE}"  # overstated: not to be trusted
LOO_REFIT = "refit"


def fit_summary(residuals: dict[str, dict]) -> dict[str, float]:
    """In-sample and leave-one-out summary of a ``residuals`` block (% points): RMS error,
    cells within `TOLERANCE_PCT`, and the LOO RMS over the trustworthy rows (refitted,
    or linearised with h <= `LEVERAGE_UNRELIABLE`); `LOO_FLAGGED` rows are left out."""
    errors = np.array([row["error"] for row in residuals.values()])
    trusted = np.array(
        [
            row["leave_one_out_error"]
            for row in residuals.values()
            if row["loo_method"] in (LOO_REFIT, LOO_LINEARISED)
        ]
    )
    return {
        "rms_error": float(np.sqrt(np.mean(errors**2))),
        "within_tolerance": int(np.sum(np.abs(errors) <= TOLERANCE_PCT)),
        "cells": len(errors),
        "loo_rms_error": float(np.sqrt(np.mean(trusted**2))) if trusted.size else float("nan"),
        "loo_cells": int(trusted.size),
    }
