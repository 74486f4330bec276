"""Neware's own text exports of a test (BTSDA / BTS software, CSV or tab-separated).

fastnda reads the binary .nda/.ndax files (:mod:`drysheet.analysis.readers.neware`);
no maintained library reads Neware's text exports, hence this parser. Two layouts:

- **flat**: one header row, one row per record, e.g. BTS 8 ``DataPoint, Cycle Index,
  Step Index, Step Type, Time, Total Time, Current(A), Voltage(V), Capacity(Ah), ...``
  or BTSDA 7 ``Record Index, Status, Cycle, Step, Cur(mA), Voltage(V), CapaCity(mAh),
  Relative Time(h:min:s.ms), Absolute Time``;
- **layered** (cycle / step / record): three header rows, ``Cycle ID, ...``, then
  ``, Step ID, Step Name, ...``, then ``, , Record ID, Time(h:min:s.ms), Voltage(V),
  Current(mA), Capacity(mAh), ...``; each data row is indented by as many empty fields
  as its level, and a record belongs to the cycle and step rows above it.

Times are seconds or durations ``h:mm:ss(.fff)`` with an optional day prefix
(``d-hh:mm:ss``, ``1d 02:03:04``). The test time is the total-time column where there
is one. Otherwise the time column is taken as the test time if it never decreases, and
as step time (restarting at each step) if it does; step times are accumulated step by
step, each step starting where the previous step's last record ended (Neware records
every step's end: on test.nda and test.ndax this gives fastnda's total time exactly).

Current: charge positive, discharge negative, as Neware writes it; a current written
unsigned is signed by the step type (``..._DChg`` negative). The capacity counter
(``Capacity``, or ``Chg. Cap.`` + ``DChg. Cap.``; unsigned, restarting at each step)
gives ``charge_increment_Ah``, signed by the step's current. The instrument's cycle and
step numbers are kept as ``cycle_instrument`` and ``step_instrument``; steps of the
types in :data:`~drysheet.analysis.readers.neware.NON_CYCLING_STEPS` are non-cycling.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from drysheet.analysis.readers.columns import column_key, find_column
from drysheet.analysis.readers.neware import NON_CYCLING_STEPS
from drysheet.analysis.readers.text import read_table, read_text, sniff_delimiter
from drysheet.analysis.readers.tidy import counter_increments, restarts_at, tidy
from drysheet.errors import DrysheetInputError
from drysheet.result import steps_from_keys

FORMAT = "neware-csv"
_RECORD = ("Record ID", "Record Index", "DataPoint", "Record number", "Record No")
_CYCLE = (("Cycle ID", 1.0), ("Cycle Index", 1.0), ("Cycle", 1.0))
_STEP = (("Step ID", 1.0), ("Step Index", 1.0), ("Step", 1.0))
_STEP_TYPE = (("Step Type", 1.0), ("Step Name", 1.0), ("Status", 1.0), ("State", 1.0))
_TOTAL_TIME = (
    ("Total Time", 1.0), ("Total Time(h:min:s.ms)", 1.0), ("Test Time", 1.0),
    ("Total Time(s)", 1.0), ("Test Time(s)", 1.0),
)  # fmt: skip
_TIME = (
    ("Time(h:min:s.ms)", 1.0), ("Relative Time(h:min:s.ms)", 1.0),
    ("Record Time(h:min:s.ms)", 1.0), ("Step Time(h:min:s.ms)", 1.0), ("Time", 1.0),
    ("Step Time", 1.0), ("Time(s)", 1.0), ("Step Time(s)", 1.0),
)  # fmt: skip
_VOLTAGE = (("Voltage(V)", 1.0), ("Voltage(mV)", 1e-3), ("Voltage", 1.0))
_CURRENT = (
    ("Current(mA)", 1e-3), ("Cur(mA)", 1e-3), ("Current(A)", 1.0), ("Current(uA)", 1e-6),
    ("Current(µA)", 1e-6), ("Current(μA)", 1e-6), ("Current(nA)", 1e-9), ("Current", 1.0),
)  # fmt: skip
#: Capacity columns with their factor to A h (1 mA s = 1e-3 / 3600 A h).
_CAPACITY = (
    ("Capacity(mAh)", 1e-3), ("Capacity(Ah)", 1.0), ("Capacity(uAh)", 1e-6),
    ("Capacity(µAh)", 1e-6), ("Capacity(mAs)", 1e-3 / 3600), ("Capacity(As)", 1 / 3600),
)  # fmt: skip
_CHARGE_CAP = (
    ("Chg. Cap.(Ah)", 1.0), ("Chg. Cap.(mAh)", 1e-3), ("Chg. Cap.(mAs)", 1e-3 / 3600),
    ("Capacitance_Chg(mAh)", 1e-3),
)  # fmt: skip
_DISCHARGE_CAP = (
    ("DChg. Cap.(Ah)", 1.0), ("DChg. Cap.(mAh)", 1e-3), ("DChg. Cap.(mAs)", 1e-3 / 3600),
    ("Capacitance_DChg(mAh)", 1e-3),
)  # fmt: skip
_DURATION = r"^\s*(?:(?P<d>[0-9]+)\s*(?:-|d\s*))?(?P<h>[0-9]+):(?P<m>[0-9]{1,2}):(?P<s>[0-9]{1,2}(?:\.[0-9]*)?)\s*$"  # noqa: E501
_NON_CYCLING = {column_key(s) for s in NON_CYCLING_STEPS}


def looks_like_neware_csv(text: str) -> bool:
    """Whether the first line is a Neware export's header: a layered export's
    ``Cycle ID`` row followed by an indented ``Step ID`` row, or a record header with a
    record-number column (``Record ID``, ``DataPoint``...) and a ``Voltage(V)`` column."""
    lines = [line for line in text.splitlines()[:3] if line.strip()]
    if not lines:
        return False
    sep = sniff_delimiter(lines[0])
    keys = {column_key(c) for c in lines[0].split(sep)}
    if _is_layered(lines, sep):
        return True
    has_record = bool(keys & {column_key(r) for r in _RECORD})
    return has_record and any(k.startswith("voltage(") for k in keys)


def _is_layered(lines: list[str], sep: str) -> bool:
    first = [column_key(c) for c in lines[0].split(sep)]
    second = [column_key(c) for c in lines[1].split(sep)] if len(lines) > 1 else []
    return first[:1] == ["cycleid"] and second[:2] == ["", "stepid"]


def read_neware_csv(path: Path) -> pd.DataFrame:
    """Read a Neware CSV/TSV export (flat or layered) into the time-series schema."""
    text = read_text(path, "Neware text export")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise DrysheetInputError(f"{path}: empty Neware export")
    sep = sniff_delimiter(lines[0])
    if _is_layered(lines, sep):
        data = _layered_records(lines, sep, path)
    else:
        data = read_table("\n".join(lines), sep, path, "Neware export table")
    return _neware_frame(data, path)


def _layered_records(lines: list[str], sep: str, path: Path) -> pd.DataFrame:
    """The record rows of a layered export, with the cycle and step of the rows above."""
    if len(lines) < 4:
        raise DrysheetInputError(f"{path}: layered Neware export without records")
    rows = pd.Series(lines[3:], dtype=object)
    body = rows.str.lstrip(sep)
    level = (rows.str.len() - body.str.len()).clip(upper=2).to_numpy()
    cycle_header = [c.strip() for c in lines[0].split(sep)]
    step_header = [c.strip() for c in lines[1].lstrip(sep).split(sep)]
    record_header = lines[2].lstrip(sep)
    if not (level == 2).any():
        raise DrysheetInputError(f"{path}: layered Neware export without record rows")
    records = read_table(
        "\n".join([record_header, *body[level == 2]]), sep, path, "Neware record rows"
    )
    cycle_rows = body.str.split(sep, n=1).str[0]
    step_rows = body.str.split(sep, n=2)
    parents = {
        cycle_header[0]: (cycle_rows, level == 0),
        step_header[0]: (step_rows.str[0], level == 1),
        step_header[1] if len(step_header) > 1 else "Step Name": (step_rows.str[1], level == 1),
    }
    for name, (values, is_parent) in parents.items():
        above = np.maximum.accumulate(np.where(is_parent, np.arange(len(body)), -1))[level == 2]
        if (above < 0).any():
            raise DrysheetInputError(f"{path}: record rows before the first {name} row")
        records[name] = values.iloc[above].astype(str).str.strip().to_numpy()
    return records


def _neware_frame(data: pd.DataFrame, path: Path) -> pd.DataFrame:
    found = {
        name: find_column(data, aliases)
        for name, aliases in (
            ("voltage", _VOLTAGE), ("current", _CURRENT), ("cycle", _CYCLE), ("step", _STEP),
            ("type", _STEP_TYPE), ("total", _TOTAL_TIME), ("time", _TIME),
            ("capacity", _CAPACITY), ("charge", _CHARGE_CAP), ("discharge", _DISCHARGE_CAP),
        )
    }  # fmt: skip
    missing = [n for n in ("voltage", "current") if found[n] is None]
    if found["total"] is None and found["time"] is None:
        missing.append("time")
    if missing:
        raise DrysheetInputError(
            f"{path} ({FORMAT}): no column for {missing}; found {list(data.columns)}"
        )

    def numbers(name: str) -> np.ndarray:
        column, factor = found[name]
        return pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float) * factor

    step_ids = [data[found[n][0]].to_numpy() for n in ("cycle", "step") if found[n]]
    kind = data[found["type"][0]].astype(str).map(column_key) if found["type"] else None
    current = numbers("current")
    if kind is not None:
        sign = np.select([kind.str.contains("dchg"), kind.str.contains("chg")], [-1.0, 1.0], 0.0)
        current = np.where(sign != 0, sign * np.abs(current), current)
    time = _test_time(data, found, step_ids, path)
    steps = steps_from_keys(*step_ids) if step_ids else None
    increment_Ah = None
    if found["capacity"] or (found["charge"] and found["discharge"]):
        counter = (
            np.abs(numbers("capacity"))
            if found["capacity"]
            else np.abs(numbers("charge")) + np.abs(numbers("discharge"))
        )
        restarts = restarts_at(steps) if steps is not None else None
        direction = pd.Series(current).groupby(steps if steps is not None else 0).transform("mean")
        increment_Ah = np.sign(direction.to_numpy()) * counter_increments(counter, restarts)
    cycling = None if kind is None else ~kind.isin(_NON_CYCLING).to_numpy()
    return tidy(
        path,
        FORMAT,
        time,
        numbers("voltage"),
        current,
        step_ids,
        data[found["cycle"][0]] if found["cycle"] else None,
        step_instrument=data[found["step"][0]] if found["step"] else None,
        charge_increment_Ah=increment_Ah,
        cycling=None if cycling is None or cycling.all() else cycling,
    )


def _test_time(data: pd.DataFrame, found: dict, step_ids: list, path: Path) -> np.ndarray:
    """Test time in s: the total-time column, else the time column accumulated over
    steps when it restarts (see the module docstring)."""
    column = (found["total"] or found["time"])[0]
    seconds = seconds_from_durations(data[column])
    if found["total"] is not None or not (np.diff(seconds) < 0).any():
        return seconds
    if not step_ids:
        raise DrysheetInputError(
            f"{path} ({FORMAT}): column {column!r} decreases (a step time) but the file "
            "has no step column to accumulate it over"
        )
    steps = steps_from_keys(*step_ids)
    last = np.r_[steps[1:] != steps[:-1], True]
    offsets = np.r_[0.0, np.cumsum(seconds[last])[:-1]]
    return seconds + offsets[steps]


def seconds_from_durations(values: pd.Series) -> np.ndarray:
    """Seconds from numbers or durations ``[d-]h:mm:ss[.fff]`` (``1d 02:03:04`` too);
    NaN where a value is neither (refused by :func:`tidy`)."""
    if pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype=float)
    text = values.astype(str)
    parts = text.str.extract(_DURATION).astype(float)
    seconds = (
        parts["d"].fillna(0.0) * 86400.0 + parts["h"] * 3600.0 + parts["m"] * 60.0 + parts["s"]
    )
    plain = pd.to_numeric(text.where(parts["h"].isna()), errors="coerce")
    return seconds.fillna(plain).to_numpy(dtype=float)
