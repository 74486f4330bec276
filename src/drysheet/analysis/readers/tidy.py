"""Turn columns pulled out of an instrument file into drysheet's time-series schema."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drysheet.errors import DrysheetInputError
from drysheet.result import (
    CURRENT,
    CYCLE_INSTRUMENT,
    LABEL,
    STEP,
    TIME,
    VOLTAGE,
    assign_cycles,
    check_timeseries,
    steps_from_current,
    steps_from_keys,
)

#: Physical bounds on a record (refused beyond them: a wrong column, unit or corrupt
#: file). A single cell stays within a few volts; 100 V leaves room for small stacks.
#: The largest cycler channels source about 2 kA. Ten years exceeds any cycling test.
MAX_ABS_VOLTAGE_V = 100.0
MAX_ABS_CURRENT_A = 1e4
MAX_TIME_S = 10 * 365.25 * 86400.0


def tidy(
    path: Path,
    fmt: str,
    time_s: Any,
    voltage_V: Any,
    current_A: Any,
    step_keys: Sequence[Any] = (),
    cycle_instrument: Any = None,
    label: Any = None,
    meta: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Assemble, validate and number one record.

    ``step_keys`` are the instrument's step identifiers (a new step wherever any of them
    changes); without them steps follow the current's sign. ``cycle`` is always
    recomputed by :func:`drysheet.result.assign_cycles` so that every cycler agrees.
    ``meta`` (e.g. ``cam_mass_g``) lands in ``DataFrame.attrs`` with ``source`` and
    ``format``.
    """
    where = f"{path} ({fmt})"
    ts = pd.DataFrame(
        {
            TIME: _floats(time_s, TIME, where),
            VOLTAGE: _floats(voltage_V, VOLTAGE, where),
            CURRENT: _floats(current_A, CURRENT, where),
        }
    )
    check_timeseries(ts, where)
    check_physical(ts, where)
    if step_keys:
        ts[STEP] = steps_from_keys(*(np.asarray(k) for k in step_keys))
    else:
        ts[STEP] = steps_from_current(ts[CURRENT].to_numpy())
    if label is not None:
        ts[LABEL] = pd.Series(np.asarray(label), dtype=object).fillna("").astype(str).to_numpy()
    ts = assign_cycles(ts)
    if cycle_instrument is not None:
        cycles = _floats(cycle_instrument, CYCLE_INSTRUMENT, where)
        if not np.isfinite(cycles).all():
            raise DrysheetInputError(f"{where}: instrument cycle numbers have gaps")
        ts[CYCLE_INSTRUMENT] = cycles.astype(np.int64)
    ts.attrs = {**(meta or {}), "source": str(path), "format": fmt}
    return ts


def check_physical(ts: pd.DataFrame, where: str) -> None:
    """Raise DrysheetInputError when voltage, current or time leave the bounds a cell
    test can reach (:data:`MAX_ABS_VOLTAGE_V`, :data:`MAX_ABS_CURRENT_A`,
    :data:`MAX_TIME_S`); rows are counted from 1."""
    for column, bound, unit in (
        (VOLTAGE, MAX_ABS_VOLTAGE_V, "V"),
        (CURRENT, MAX_ABS_CURRENT_A, "A"),
        (TIME, MAX_TIME_S, "s (ten years)"),
    ):
        values = np.abs(ts[column].to_numpy(dtype=float))
        beyond = np.flatnonzero(values > bound)
        if beyond.size:
            row = beyond[0]
            raise DrysheetInputError(
                f"{where}: |{column}| = {values[row]:.4g} at data row {row + 1} is beyond "
                f"{bound:g} {unit}, impossible for a cell test (wrong column or unit, or a "
                "corrupt file)"
            )


def _floats(values: Any, name: str, where: str) -> np.ndarray:
    try:
        return np.asarray(pd.to_numeric(pd.Series(values), errors="raise"), dtype=float)
    except (ValueError, TypeError) as exc:
        raise DrysheetInputError(f"{where}: column for {name} is not numeric ({exc})") from exc
