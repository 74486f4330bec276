"""Turn columns pulled out of an instrument file into drysheet's time-series schema."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

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
    *,
    step_instrument: Any = None,
    charge_increment_Ah: Any = None,
    cycling: Any = None,
) -> pd.DataFrame:
    """Assemble, validate and number one record.

    ``step_keys`` are the instrument's step identifiers (a new step wherever any of them
    changes); without them steps follow the current's sign. ``cycle`` is always
    recomputed by :func:`drysheet.result.assign_cycles` so that every cycler agrees;
    the instrument's own ``cycle_instrument`` and ``step_instrument`` are kept as they
    are. ``charge_increment_Ah`` (from the instrument's charge counter, see
    :func:`counter_increments`) and ``cycling`` (False for samples of non-cycling
    techniques; None when every sample cycles) become the columns of those names.
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
    for column, numbers in (
        (CYCLE_INSTRUMENT, cycle_instrument),
        (STEP_INSTRUMENT, step_instrument),
    ):
        if numbers is not None:
            values = _floats(numbers, column, where)
            if not np.isfinite(values).all():
                raise DrysheetInputError(f"{where}: {column} has missing values")
            ts[column] = values.astype(np.int64)
    if charge_increment_Ah is not None:
        increments = _floats(charge_increment_Ah, CHARGE_INCREMENT, where)
        if not np.isfinite(increments).all():
            raise DrysheetInputError(f"{where}: the instrument's charge counter has gaps")
        ts[CHARGE_INCREMENT] = increments
    if cycling is not None:
        ts[CYCLING] = np.asarray(cycling, dtype=bool)
    ts.attrs = {**(meta or {}), "source": str(path), "format": fmt}
    return ts


def counter_increments(counter: Any, restarts: Any = None, *, unsigned: bool = False) -> np.ndarray:
    """Charge per interval from a charge counter the instrument accumulates: the
    difference to the previous sample, c_k - c_k-1, except where the counter restarts
    from zero (``restarts`` True, e.g. at each step or cycle, or, for an ``unsigned``
    counter, wherever it falls), where the increment is c_k itself; the first sample's
    increment is its value. Summing the increments gives back the counter."""
    c = np.asarray(counter, dtype=float)
    restart = np.zeros(c.size, dtype=bool) if restarts is None else np.asarray(restarts, bool)
    restart = restart.copy()
    restart[0] = True
    if unsigned:
        restart[1:] |= c[1:] < c[:-1]
    return np.where(restart, c, np.diff(c, prepend=0.0))


def restarts_at(*keys: Any) -> np.ndarray:
    """True where any of ``keys`` (step or cycle numbers) differs from the previous sample."""
    steps = steps_from_keys(*(np.asarray(k) for k in keys))
    return np.diff(steps, prepend=-1) != 0


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
