"""MACCOR text exports (tab-, comma- or semicolon-delimited ASCII, e.g. ``*.001``).

Layout: optional metadata lines ("Today's Date ... Date of Test: ..."), one header row
(``Rec#  Cyc#  Step  Test (Sec)  Step (Sec)  Amp-hr  Watt-hr  Amps  Volts  State ...``;
newer layouts: ``Rec  Cycle P  Step  Test Time [s] ... Current [mA]  Voltage [V]  MD``),
then one row per record. MACCOR writes the current unsigned and the direction in the
``State``/``MD`` column (C = charge, D = discharge, R/O/S = rest or other): drysheet
gives discharge a negative sign. Test time in s, min or h (by header) or as a
duration text ("1d 02:03:04.5"). ``Step`` and ``Cyc#`` are kept as ``step_instrument``
and ``cycle_instrument``. The charge counter ``Amp-hr`` (``Capacity`` in Ah in MIMS
Client exports; unsigned, restarting from zero within the test) gives
``charge_increment_Ah`` on C and D rows, signed by the state (by the current's sign in
layouts without a state column, which write the current signed);
a restart is taken wherever the counter falls, so a value carried through a rest
counts once. No library reads these exports, hence this parser.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from drysheet.analysis.readers.columns import column_key, find_column
from drysheet.analysis.readers.text import MAX_COLUMNS, read_table, read_text, sniff_delimiter
from drysheet.analysis.readers.tidy import counter_increments, tidy
from drysheet.errors import DrysheetInputError

FORMAT = "maccor"
_TIME = (
    ("Test (Sec)", 1.0), ("Test (Min)", 60.0), ("Test (Hr)", 3600.0),
    ("TestTime(s)", 1.0), ("Test Time (s)", 1.0), ("Test Time (sec)", 1.0),
    ("Test Time", 1.0), ("TestTime", 1.0), ("Test Time [s]", 1.0), ("Test Time [sec]", 1.0),
    ("Test Time [min]", 60.0), ("Test Time [h]", 3600.0),
)  # fmt: skip
_VOLTAGE = (
    ("Volts", 1.0), ("Voltage", 1.0), ("Voltage (V)", 1.0), ("Voltage(V)", 1.0),
    ("Voltage [V]", 1.0), ("Voltage [mV]", 1e-3),
)  # fmt: skip
_CURRENT = (
    ("Amps", 1.0), ("Current", 1.0), ("Current (A)", 1.0), ("Current(A)", 1.0),
    ("Current (mA)", 1e-3), ("Current(mA)", 1e-3), ("Current [A]", 1.0),
    ("Current [mA]", 1e-3),
)  # fmt: skip
_STATE = (("State", 1.0), ("MD", 1.0))
_CAPACITY = (
    ("Amp-hr", 1.0), ("Capacity (Ah)", 1.0), ("Capacity (mAh)", 1e-3), ("Capacity [Ah]", 1.0),
    ("Capacity [mAh]", 1e-3), ("Cap. [Ah]", 1.0), ("Capacity", 1.0),
)  # fmt: skip
_STEP = (("Step", 1.0),)
_CYCLE = (("Cyc#", 1.0), ("Cycle P", 1.0), ("Cycle", 1.0), ("Cycle C", 1.0))
_HEADER_SCAN_LINES = 30
_RECORD_KEYS = {"rec#", "rec", "cyc#", "cyclep"}


def looks_like_maccor(text: str) -> bool:
    """Whether the first lines hold a MACCOR header row: a record or cycle column
    (``Rec#``, ``Rec``, ``Cyc#``, ``Cycle P``) and a voltage column."""
    for line in text.splitlines()[:_HEADER_SCAN_LINES]:
        keys = {column_key(c) for c in line.split(sniff_delimiter(line))}
        if keys & _RECORD_KEYS and any(k.startswith(("volts", "voltage")) for k in keys):
            return True
    return False


def read_maccor(path: Path) -> pd.DataFrame:
    """Read a MACCOR text export into the drysheet time-series schema."""
    text = read_text(path, "MACCOR text export")
    lines = text.splitlines()
    start = next((n for n, line in enumerate(lines[:_HEADER_SCAN_LINES]) if _is_header(line)), None)
    if start is None:
        raise DrysheetInputError(
            f"{path}: no MACCOR header row (with a test-time and a Volts column) "
            f"in the first {_HEADER_SCAN_LINES} lines"
        )
    sep = sniff_delimiter(lines[start])
    data = read_table("\n".join(lines[start:]), sep, path, "MACCOR table")
    time_col, time_factor = find_column(data, _TIME)
    volt_col, _ = find_column(data, _VOLTAGE)
    found = find_column(data, _CURRENT)
    if found is None:
        raise DrysheetInputError(
            f"{path} ({FORMAT}): missing current column (Amps); found {list(data.columns)}"
        )
    current = pd.to_numeric(data[found[0]], errors="coerce").to_numpy(dtype=float) * found[1]
    state = find_column(data, _STATE)
    code = data[state[0]].astype(str).str.strip().str.upper() if state else None
    if code is not None:
        current = np.where(code == "D", -np.abs(current), current)
        current = np.where(code == "C", np.abs(current), current)
    time = data[time_col]
    if not pd.api.types.is_numeric_dtype(time):
        duration = time.astype(str).str.replace("d", " days ", regex=False)
        time = pd.to_timedelta(duration, errors="coerce").dt.total_seconds()
    step = find_column(data, _STEP)
    cycle = find_column(data, _CYCLE)
    capacity = find_column(data, _CAPACITY)
    increment_Ah = None
    if capacity is not None:
        counter = pd.to_numeric(data[capacity[0]], errors="coerce").to_numpy(float) * capacity[1]
        if code is not None:
            sign = np.select([code == "C", code == "D"], [1.0, -1.0], 0.0)
        else:  # no state column: the current is written signed
            sign = np.sign(current)
        increment_Ah = sign * counter_increments(np.abs(counter), unsigned=True)
    return tidy(
        path,
        FORMAT,
        pd.to_numeric(time, errors="coerce") * time_factor,
        data[volt_col],
        current,
        [data[step[0]].to_numpy()] if step else [],
        data[cycle[0]] if cycle else None,
        step_instrument=data[step[0]] if step else None,
        charge_increment_Ah=increment_Ah,
    )


def _is_header(line: str) -> bool:
    """Whether ``line`` names a test-time and a voltage column; trailing delimiters are
    ignored as in :func:`read_table`, and a line of more than ``MAX_COLUMNS`` fields is
    no header (set lookups keep this linear in the line's length)."""
    sep = sniff_delimiter(line)
    line = line.rstrip().rstrip(sep)
    if line.count(sep) >= MAX_COLUMNS:
        return False
    keys = {column_key(c) for c in line.split(sep)}
    return all(any(column_key(a) in keys for a, _ in aliases) for aliases in (_VOLTAGE, _TIME))
