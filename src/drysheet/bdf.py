"""Battery Data Format (BDF): drysheet's time series under BDF column names.

BDF (Battery Data Alliance, battery-data-format; column definitions as in its
``batterydf`` package, ``bdf/normalize/spec.py``, Apache-2.0, and fastnda's
``columns="bdf"``) names each column by quantity and unit: machine-readable names
(``test_time_second``) or preferred labels (``Test Time / s``). Required:
``test_time_second``, ``voltage_volt``, ``current_ampere`` (charge positive);
recommended: ``cycle_count`` (the instrument's cycle number, which converters must not
renumber) and ``step_count`` (a counter that increments at every step, from 1).
drysheet writes the machine-readable names; ``step_index`` carries the instrument's
own step number and ``net_capacity_ah`` the running total of the instrument's charge
counter. batterydf itself is not a dependency: it pulls in an ontology stack (rdflib,
pint, plotly, a Neware reader) for what is here a renaming.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from drysheet.errors import DrysheetInputError
from drysheet.result import (
    CHARGE_INCREMENT,
    CURRENT,
    CYCLE,
    CYCLE_INSTRUMENT,
    STEP,
    STEP_INSTRUMENT,
    TIME,
    VOLTAGE,
    Result,
)

TEST_TIME, VOLTAGE_BDF, CURRENT_BDF = "test_time_second", "voltage_volt", "current_ampere"
CYCLE_COUNT, STEP_COUNT, STEP_INDEX = "cycle_count", "step_count", "step_index"
NET_CAPACITY = "net_capacity_ah"
REQUIRED = (TEST_TIME, VOLTAGE_BDF, CURRENT_BDF)

#: Preferred labels of the machine-readable names (quantity / unit).
LABELS = {
    TEST_TIME: "Test Time / s",
    VOLTAGE_BDF: "Voltage / V",
    CURRENT_BDF: "Current / A",
    CYCLE_COUNT: "Cycle Count / 1",
    STEP_COUNT: "Step Count / 1",
    STEP_INDEX: "Step Index / 1",
    NET_CAPACITY: "Net Capacity / Ah",
}
SUFFIXES = (".csv", ".parquet")


def to_bdf(ts: pd.DataFrame) -> pd.DataFrame:
    """The time series under BDF names: time, voltage, current; ``cycle_count`` the
    instrument's cycle number as it is, or where the source has none (a simulation, or
    a file that stores none) drysheet's charge-first ``cycle``; ``step_count`` =
    drysheet's step + 1; ``step_index`` the instrument's step number and
    ``net_capacity_ah`` the running total of its charge counter, when present."""
    out = pd.DataFrame({TEST_TIME: ts[TIME], VOLTAGE_BDF: ts[VOLTAGE], CURRENT_BDF: ts[CURRENT]})
    if CYCLE_INSTRUMENT in ts:
        out[CYCLE_COUNT] = ts[CYCLE_INSTRUMENT]
    elif CYCLE in ts:
        out[CYCLE_COUNT] = ts[CYCLE]
    if STEP in ts:
        out[STEP_COUNT] = ts[STEP] + 1
    if STEP_INSTRUMENT in ts:
        out[STEP_INDEX] = ts[STEP_INSTRUMENT]
    if CHARGE_INCREMENT in ts:
        out[NET_CAPACITY] = np.cumsum(ts[CHARGE_INCREMENT].to_numpy(dtype=float))
    return out.reset_index(drop=True)


def write_bdf(result: Result | pd.DataFrame, path: str | Path) -> Path:
    """Write a Result's (or a time series') BDF table as CSV or Parquet, by the suffix
    of ``path`` (``.csv`` or ``.parquet``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DrysheetInputError(f"{path}: a BDF file ends in {' or '.join(SUFFIXES)}")
    table = to_bdf(result.timeseries if isinstance(result, Result) else result)
    if suffix == ".csv":
        table.to_csv(path, index=False, lineterminator="\n")
    else:
        table.to_parquet(path, index=False)
    return path
