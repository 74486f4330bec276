"""Turn columns pulled out of an instrument file into drysheet's time-series schema."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drysheet.errors import DrysheetInputError
from drysheet.result import (
    CHARGE_INCREMENT,
    CURRENT,
    CYCLE,
    CYCLE_INSTRUMENT,
    CYCLING,
    LABEL,
    STEP,
    STEP_INSTRUMENT,
    TIME,
    VOLTAGE,
    assign_cycles,
    check_timeseries,
    interval_integrals,
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
    techniques; None when every sample cycles) become the columns of those names;
    non-cycling samples count as rest when steps and cycles are numbered. A record
    without a charge counter but with recording gaps gets ``charge_increment_Ah``
    from :func:`gap_aware_increments`.
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
    flags = None if cycling is None else np.asarray(cycling, dtype=bool)
    # non-cycling samples count as rest for steps and cycles (so that the current-sign
    # noise of a voltammetry or impedance record makes no cycles)
    counted = ts[CURRENT].to_numpy()
    if flags is not None:
        counted = np.where(flags, counted, 0.0)
    keys = [np.asarray(k) for k in step_keys] or [steps_from_current(counted)]
    ts[STEP] = steps_from_keys(*keys, *([] if flags is None else [flags]))
    if label is not None:
        ts[LABEL] = pd.Series(np.asarray(label), dtype=object).fillna("").astype(str).to_numpy()
    ts[CYCLE] = assign_cycles(ts.assign(**{CURRENT: counted}))[CYCLE]
    for column, numbers in (
        (CYCLE_INSTRUMENT, cycle_instrument),
        (STEP_INSTRUMENT, step_instrument),
    ):
        if numbers is not None:
            values = _floats(numbers, column, where)
            if not np.isfinite(values).all():
                raise DrysheetInputError(f"{where}: {column} has missing values")
            ts[column] = values.astype(np.int64)
    if flags is not None:
        ts[CYCLING] = flags
    if charge_increment_Ah is not None:
        increments = _floats(charge_increment_Ah, CHARGE_INCREMENT, where)
        if not np.isfinite(increments).all():
            raise DrysheetInputError(f"{where}: the instrument's charge counter has gaps")
        ts[CHARGE_INCREMENT] = increments
    elif (increments := gap_aware_increments(ts, where)) is not None:
        ts[CHARGE_INCREMENT] = increments
        meta = {**(meta or {}), "charge_increment_source": "integrated (recording gaps)"}
    ts.attrs = {**(meta or {}), "source": str(path), "format": fmt}
    return ts


#: An interval longer than this many times the median of the sampling intervals around
#: it (:data:`GAP_WINDOW` on each side) is a recording gap: cyclers log at a fixed
#: interval, or with a voltage criterion whose interval changes gradually (as do the
#: adaptive steps of a simulation: at most 2x between neighbours in drysheet's own
#: output); a jump by ten is an interruption (a technique that was not recorded, a
#: paused channel, a loop's unrecorded part).
GAP_FACTOR = 10.0
GAP_WINDOW = 5
_SECONDS_PER_HOUR = 3600.0


class RecordingGapWarning(UserWarning):
    """A record without a charge counter has recording gaps left out of its charge."""


def gap_aware_increments(ts: pd.DataFrame, where: str) -> np.ndarray | None:
    """Charge per interval (A h) integrated from the current of a record that has no
    charge counter but recording gaps; None when it has none (the cycle table's own
    integration, :func:`drysheet.result.interval_integrals`, then gives the same).

    Rule: an interval counts as in :func:`~drysheet.result.interval_integrals`
    (trapezoid within a step, the new step's first current across a step change) unless
    it is a gap, dt > :data:`GAP_FACTOR` x the median of the positive intervals within
    :data:`GAP_WINDOW` intervals on either side, through which current would count; a
    gap counts no charge (nothing was recorded there: the current before or after it
    need not have flowed throughout). A :class:`RecordingGapWarning` names the gaps.
    A record of one reading per gap cannot be told from coarse logging by its times.
    """
    t = ts[TIME].to_numpy(dtype=float)
    dt = np.diff(t)
    if dt.size < 2:
        return None
    local = (
        pd.Series(np.where(dt > 0, dt, np.nan))
        .rolling(2 * GAP_WINDOW + 1, center=True, min_periods=1)
        .median()
        .to_numpy()
    )
    charge_As = interval_integrals(t, ts[CURRENT].to_numpy(dtype=float), ts[STEP].to_numpy())
    gap = (dt > GAP_FACTOR * local) & (charge_As != 0)
    if CYCLING in ts:
        gap &= ts[CYCLING].to_numpy(dtype=bool)[1:]
    if not gap.any():
        return None
    first = int(np.flatnonzero(gap)[0])
    warnings.warn(
        f"{where}: {int(gap.sum())} recording gap(s) with current flowing, longer than "
        f"{GAP_FACTOR:g} x the sampling interval around them, the first from "
        f"t = {t[first]:.6g} s (data row {first + 1}) for {dt[first]:.4g} s (around it: "
        f"{local[first]:.4g} s); no charge counter in the file, so these intervals count "
        f"no charge (integrating through them would add "
        f"{abs(charge_As[gap]).sum() / _SECONDS_PER_HOUR * 1e3:.4g} mAh)",
        RecordingGapWarning,
        stacklevel=3,
    )
    return np.concatenate([[0.0], np.where(gap, 0.0, charge_As)]) / _SECONDS_PER_HOUR


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
