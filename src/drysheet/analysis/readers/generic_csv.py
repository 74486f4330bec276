"""Generic delimited text (CSV, semicolon or tab) with a column mapping.

Leading ``# key: value`` lines are metadata (``cam_mass_g`` or ``cam_mass_mg`` becomes
``attrs["cam_mass_g"]``), as written by :func:`drysheet.result.write_cycler_csv`. The
first other line is the header row. ``column_map`` maps drysheet names (``time_s``,
``voltage_V``, ``current_A``, ``step``, ``cycle_instrument``, ``label``,
``step_instrument``, ``charge_increment_Ah``, ``cycling``) to the file's
column names, optionally with a factor to drysheet's unit, e.g.
``{"current_A": ("I/mA", 1e-3), "time_s": "Test_Time(s)"}``; a factor of -1 flips a
discharge-positive current. A table without a current column is an open-circuit (OCV)
record: zero current, non-cycling. Unmapped quantities are looked up under common names
(drysheet's own, ``Test_Time(s)``, ``Voltage(V)``, ``Current(A)``, ``current_mA``...).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drysheet.analysis.readers.columns import find_column
from drysheet.analysis.readers.text import read_table, read_text, sniff_delimiter
from drysheet.analysis.readers.tidy import tidy
from drysheet.errors import DrysheetInputError
from drysheet.result import (
    CHARGE_INCREMENT,
    CURRENT,
    CYCLE_INSTRUMENT,
    CYCLING,
    LABEL,
    STEP,
    STEP_INSTRUMENT,
    TIME,
    VOLTAGE,
)

FORMAT = "csv"
ColumnMap = Mapping[str, str | tuple[str, float]]

ALIASES: dict[str, tuple[tuple[str, float], ...]] = {
    TIME: (
        (TIME, 1.0), ("time/s", 1.0), ("time (s)", 1.0), ("time(s)", 1.0),
        ("test_time(s)", 1.0), ("test_time_s", 1.0), ("test time (s)", 1.0),
        ("time_min", 60.0), ("time_h", 3600.0),
    ),
    VOLTAGE: (
        (VOLTAGE, 1.0), ("voltage/V", 1.0), ("voltage (V)", 1.0), ("voltage(V)", 1.0),
        ("Ewe/V", 1.0), ("Ecell/V", 1.0), ("voltage", 1.0),
    ),
    CURRENT: (
        (CURRENT, 1.0), ("current (A)", 1.0), ("current(A)", 1.0), ("current/A", 1.0),
        ("current_mA", 1e-3), ("current (mA)", 1e-3), ("current(mA)", 1e-3),
        ("I/mA", 1e-3), ("current", 1.0),
    ),
    STEP: ((STEP, 1.0), ("step_index", 1.0), ("step index", 1.0), ("Ns", 1.0)),
    CYCLE_INSTRUMENT: (
        (CYCLE_INSTRUMENT, 1.0), ("cycle_index", 1.0), ("cycle number", 1.0), ("cycle", 1.0),
    ),
    LABEL: ((LABEL, 1.0),),
    STEP_INSTRUMENT: ((STEP_INSTRUMENT, 1.0),),
    CHARGE_INCREMENT: ((CHARGE_INCREMENT, 1.0), ("charge_increment_mAh", 1e-3)),
    CYCLING: ((CYCLING, 1.0),),
}  # fmt: skip


def read_generic_csv(path: Path, column_map: ColumnMap | None = None) -> pd.DataFrame:
    """Read a delimited text file into the drysheet time-series schema."""
    unknown = set(column_map or {}) - set(ALIASES)
    if unknown:
        raise DrysheetInputError(
            f"column_map: unknown target(s) {sorted(unknown)}; allowed {sorted(ALIASES)}"
        )
    text = read_text(path, "delimited text file")
    lines = text.splitlines()
    meta = _metadata(lines)
    body = [line for line in lines if not line.lstrip().startswith("#")]
    body = [line for line in body if line.strip()]
    if not body:
        raise DrysheetInputError(f"{path}: only comment lines, no header row or data")
    data = read_table("\n".join(body), sniff_delimiter(body[0]), path, "CSV table")
    columns = {name: _locate(data, name, (column_map or {}).get(name), path) for name in ALIASES}
    missing = [name for name in (TIME, VOLTAGE) if columns[name] is None]
    if missing:
        raise DrysheetInputError(
            f"{path} ({FORMAT}): no column for {missing}; found {list(data.columns)}; "
            "pass column_map={'time_s': ..., 'voltage_V': ..., 'current_A': ...}"
        )

    def values(name: str) -> Any:
        column, factor = columns[name]
        return pd.to_numeric(data[column], errors="coerce") * factor

    step, cycle, label = (columns[n] for n in (STEP, CYCLE_INSTRUMENT, LABEL))
    step_instrument, increment, cycling = (
        columns[n] for n in (STEP_INSTRUMENT, CHARGE_INCREMENT, CYCLING)
    )
    open_circuit = columns[CURRENT] is None  # an OCV record: rest, no cycling
    flags = _flags(data[cycling[0]], path) if cycling else None
    return tidy(
        path,
        FORMAT,
        values(TIME),
        values(VOLTAGE),
        np.zeros(len(data)) if open_circuit else values(CURRENT),
        [data[step[0]].to_numpy()] if step else [],
        data[cycle[0]] if cycle else None,
        label=data[label[0]] if label else None,
        meta=meta,
        step_instrument=data[step_instrument[0]] if step_instrument else None,
        charge_increment_Ah=values(CHARGE_INCREMENT) if increment else None,
        cycling=np.zeros(len(data), dtype=bool) if open_circuit else flags,
    )


def _flags(values: pd.Series, path: Path) -> np.ndarray:
    """True/False (or 1/0) per row."""
    text = values.astype(str).str.strip().str.lower()
    known = text.isin(["true", "false", "1", "0", "1.0", "0.0"])
    if not known.all():
        row = int(np.flatnonzero(~known.to_numpy())[0]) + 1
        raise DrysheetInputError(
            f"{path}: column {CYCLING!r} must hold True/False, got {values.iloc[row - 1]!r} "
            f"at data row {row}"
        )
    return text.isin(["true", "1", "1.0"]).to_numpy()


def _locate(
    data: pd.DataFrame, name: str, mapped: str | tuple[str, float] | None, path: Path
) -> tuple[str, float] | None:
    if mapped is None:
        return find_column(data, ALIASES[name])
    column, factor = (mapped, 1.0) if isinstance(mapped, str) else mapped
    if column not in data:
        raise DrysheetInputError(
            f"{path}: column_map[{name!r}] = {column!r} is not a column; found {list(data.columns)}"
        )
    return column, float(factor)


def _metadata(lines: list[str]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        key, sep, value = stripped.lstrip("#").partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        try:
            number = float(value)
        except ValueError:
            meta[key] = value
            continue
        if key == "cam_mass_mg":
            key, number = "cam_mass_g", number / 1000.0
        meta[key] = number
    return meta
