"""Battery Data Format files (:mod:`drysheet.bdf`), CSV or Parquet.

Columns by machine-readable name (``test_time_second``) or preferred label
(``Test Time / s``, also with another unit of the same quantity: ``Current / mA``).
``cycle_count`` is kept as ``cycle_instrument``, ``step_count`` (else ``step_index``)
gives the steps, ``step_index`` (fastnda: ``step_id``) is kept as ``step_instrument``.
The charge counter, first found of: ``net_capacity_ah`` (a running total),
``step_net_capacity_ah`` (fastnda: per step, signed), ``charging_capacity_ah`` with
``discharging_capacity_ah`` (unsigned, restarting from zero), gives
``charge_increment_Ah``. batterydf reads BDF too but is a heavy dependency for a
renaming (see :mod:`drysheet.bdf`), hence this reader.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from drysheet.analysis.readers.columns import column_key
from drysheet.analysis.readers.text import read_table, read_text, sniff_delimiter
from drysheet.analysis.readers.tidy import counter_increments, restarts_at, tidy
from drysheet.bdf import (
    CURRENT_BDF,
    CYCLE_COUNT,
    LABELS,
    NET_CAPACITY,
    REQUIRED,
    STEP_COUNT,
    STEP_INDEX,
    TEST_TIME,
    VOLTAGE_BDF,
)
from drysheet.errors import DrysheetInputError

PARQUET_MAGIC = b"PAR1"
STEP_NET_CAPACITY, CHARGING, DISCHARGING = (
    "step_net_capacity_ah",
    "charging_capacity_ah",
    "discharging_capacity_ah",
)
_LABELS = {
    **LABELS,
    STEP_NET_CAPACITY: "Step Net Capacity / Ah",
    CHARGING: "Charging Capacity / Ah",
    DISCHARGING: "Discharging Capacity / Ah",
}
_SYNONYMS = {"step_id": STEP_INDEX, "Step ID": STEP_INDEX}
#: Factors to the machine-readable names' units, by the unit of a preferred label.
_UNIT_FACTORS = {
    "s": 1.0, "min": 60.0, "h": 3600.0, "V": 1.0, "mV": 1e-3, "A": 1.0, "mA": 1e-3,
    "µA": 1e-6, "uA": 1e-6, "Ah": 1.0, "mAh": 1e-3, "A.h": 1.0, "mA.h": 1e-3, "1": 1.0,
}  # fmt: skip
_BY_LABEL = {column_key(label.split(" / ")[0]): name for name, label in _LABELS.items()}
_LABEL = re.compile(r"^\s*(.+?)\s*/\s*(\S+)\s*$")


def bdf_columns(names: list[str]) -> dict[str, tuple[str, float]]:
    """For each BDF quantity found among ``names``: (column, factor to its unit)."""
    found: dict[str, tuple[str, float]] = {}
    for name in names:
        quantity, factor = _SYNONYMS.get(name, name), 1.0
        if quantity not in _LABELS:
            match = _LABEL.match(name)
            if match is None or match.group(2) not in _UNIT_FACTORS:
                continue
            quantity = _BY_LABEL.get(column_key(match.group(1)))
            factor = _UNIT_FACTORS[match.group(2)]
        if quantity is not None and quantity not in found:
            found[quantity] = (name, factor)
    return found


def looks_like_bdf(header_line: str) -> bool:
    """Whether a text file's header row names the three required BDF columns."""
    names = [c.strip().strip('"') for c in header_line.split(sniff_delimiter(header_line))]
    return all(q in bdf_columns(names) for q in REQUIRED)


def read_bdf_csv(path: Path) -> pd.DataFrame:
    """Read a BDF CSV file into the drysheet time-series schema."""
    text = read_text(path, "BDF CSV file")
    lines = text.splitlines()
    header = next((n for n, line in enumerate(lines) if line.strip()), 0)
    data = read_table("\n".join(lines[header:]), sniff_delimiter(lines[header]), path, "BDF")
    return _bdf_frame(path, "bdf-csv", data)


def read_bdf_parquet(path: Path) -> pd.DataFrame:
    """Read a BDF Parquet file (only its BDF columns) into the drysheet schema."""
    try:
        table = pq.ParquetFile(path)
        columns = bdf_columns(table.schema_arrow.names)
        data = table.read(columns=[c for c, _ in columns.values()]).to_pandas()
    except Exception as exc:  # pyarrow raises many types on corrupt input
        reason = " ".join(str(exc).split())[:300]
        raise DrysheetInputError(f"{path}: not a readable Parquet file ({reason})") from exc
    return _bdf_frame(path, "bdf-parquet", data)


def _bdf_frame(path: Path, fmt: str, data: pd.DataFrame) -> pd.DataFrame:
    columns = bdf_columns([str(c) for c in data.columns])
    missing = [q for q in REQUIRED if q not in columns]
    if missing:
        raise DrysheetInputError(
            f"{path} ({fmt}): missing BDF column(s) {missing}; found {list(data.columns)}"
        )

    def values(quantity: str) -> np.ndarray:
        column, factor = columns[quantity]
        return pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float) * factor

    step_key = STEP_COUNT if STEP_COUNT in columns else STEP_INDEX
    steps = values(step_key) if step_key in columns else None
    increment_Ah = None
    if NET_CAPACITY in columns:
        increment_Ah = counter_increments(values(NET_CAPACITY))
    elif STEP_NET_CAPACITY in columns and steps is not None:
        increment_Ah = counter_increments(values(STEP_NET_CAPACITY), restarts_at(steps))
    elif CHARGING in columns and DISCHARGING in columns:
        charge, discharge = (
            counter_increments(values(q), unsigned=True) for q in (CHARGING, DISCHARGING)
        )
        increment_Ah = charge - discharge
    return tidy(
        path,
        fmt,
        values(TEST_TIME),
        values(VOLTAGE_BDF),
        values(CURRENT_BDF),
        [] if steps is None else [steps],
        values(CYCLE_COUNT) if CYCLE_COUNT in columns else None,
        step_instrument=values(STEP_INDEX) if STEP_INDEX in columns else None,
        charge_increment_Ah=increment_Ah,
    )
