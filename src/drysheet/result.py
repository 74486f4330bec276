"""The one result schema shared by simulated and measured cells.

Time series (one row per sample, a ``pandas.DataFrame``):

``time_s``            float, s since the start of the record
``voltage_V``         float, cell voltage in V
``current_A``         float, A; charge (oxidation of the working electrode) is positive
``step``              int, consecutive step index from 0; a new step starts whenever the
                      instrument or protocol step changes
``cycle``             int, 1-based, charge-first (see :func:`assign_cycles`)
``label``             optional str, protocol block label ("formation", "rate C/10", ...)
``cycle_instrument``  optional int, the instrument's own cycle number (never renumbered)
``step_instrument``   optional int, the instrument's own step number (never renumbered)
``charge_increment_Ah`` optional float, charge passed in the interval ending at this
                      sample (charge positive), from the instrument's own counter
``cycling``           optional bool, False for samples of a non-cycling technique
                      (impedance points, open-circuit records): kept out of cycling
                      metrics

Cycle convention (charge-first): a cycle is a charge followed by a discharge. A new
cycle begins at the first charge step after a discharge; everything before the first
such charge (an opening rest, or a discharge the record starts with) is cycle 1.

The per-cycle table (:func:`cycle_table`) takes each interval's charge from the
instrument's counter (``charge_increment_Ah``) where the series has one, else
integrates the current over time with the trapezoidal rule within each step (an
interval across a step change counts for the new step, at its first sample's
current): intervals with positive charge count towards the charge, negative ones
towards the discharge; non-cycling samples (``cycling`` False) count for neither.
Specific quantities are per gram of cathode active material (CAM); 1C is
``one_c_mA_per_g`` (190 mA/g for NCM85).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter1d

from drysheet.errors import DrysheetInputError, require_number

TIME, VOLTAGE, CURRENT, STEP, CYCLE, LABEL = (
    "time_s",
    "voltage_V",
    "current_A",
    "step",
    "cycle",
    "label",
)
CYCLE_INSTRUMENT, STEP_INSTRUMENT = "cycle_instrument", "step_instrument"
CHARGE_INCREMENT, CYCLING = "charge_increment_Ah", "cycling"
REQUIRED_COLUMNS = (TIME, VOLTAGE, CURRENT)
TIMESERIES_COLUMNS = (
    TIME, VOLTAGE, CURRENT, STEP, CYCLE, LABEL,
    CYCLE_INSTRUMENT, STEP_INSTRUMENT, CHARGE_INCREMENT, CYCLING,
)  # fmt: skip

CYCLE_COLUMNS = (
    "cycle",
    "label",
    "charge_capacity_mAh_g",
    "discharge_capacity_mAh_g",
    "coulomb_efficiency_pct",
    "charge_energy_mWh_g",
    "discharge_energy_mWh_g",
    "mean_charge_voltage_V",
    "mean_discharge_voltage_V",
    "charge_c_rate",
    "discharge_c_rate",
)

#: Nominal C-rates that :func:`rate_table` rounds measured rates to.
NOMINAL_C_RATES = (1 / 20, 1 / 10, 1 / 5, 1 / 2, 1.0, 2.0)

#: A step whose mean |current| is below this fraction of the record's largest |current|
#: is a rest step.
REST_FRACTION = 1e-3

_SECONDS_PER_HOUR = 3600.0


def steps_from_keys(*keys: np.ndarray | pd.Series) -> np.ndarray:
    """Consecutive step index from 0 that increments whenever any key changes."""
    n = len(keys[0])
    change = np.zeros(n, dtype=bool)
    for key in keys:
        k = np.asarray(key)
        change[1:] |= k[1:] != k[:-1]
    return np.cumsum(change).astype(np.int64)


def steps_from_current(current_A: np.ndarray) -> np.ndarray:
    """Step index from 0 for records without step numbers: a new step at each change of
    the current's sign (charge / rest / discharge, rest as in :data:`REST_FRACTION`)."""
    current = np.asarray(current_A, dtype=float)
    scale = np.max(np.abs(current), initial=0.0)
    sign = np.where(np.abs(current) <= REST_FRACTION * scale, 0, np.sign(current))
    return steps_from_keys(sign)


def _step_kinds(ts: pd.DataFrame) -> pd.Series:
    """+1 (charge), -1 (discharge) or 0 (rest) per step, from the step's mean current."""
    current = ts[CURRENT].to_numpy(dtype=float)
    scale = np.max(np.abs(current), initial=0.0)
    mean = ts.groupby(STEP, sort=False)[CURRENT].mean()
    return pd.Series(
        np.where(np.abs(mean) <= REST_FRACTION * scale, 0, np.sign(mean)).astype(int),
        index=mean.index,
    )


def assign_cycles(ts: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``ts`` with ``cycle`` (re)computed, charge-first.

    Each step is a charge, discharge or rest by the sign of its mean current. The cycle
    number increments at a charge step that follows a discharge step; rests and a
    leading discharge stay in the current cycle. ``step`` is derived from the current's
    sign when absent.
    """
    out = ts.copy()
    if STEP not in out:
        out[STEP] = steps_from_current(out[CURRENT].to_numpy(dtype=float))
    cycle_of_step: dict[Any, int] = {}
    cycle, seen_discharge = 1, False
    for step, kind in _step_kinds(out).items():
        if kind > 0 and seen_discharge:
            cycle, seen_discharge = cycle + 1, False
        elif kind < 0:
            seen_discharge = True
        cycle_of_step[step] = cycle
    out[CYCLE] = out[STEP].map(cycle_of_step).astype(np.int64)
    return out


def check_timeseries(ts: pd.DataFrame, where: str = "time series") -> None:
    """Raise DrysheetInputError unless ``ts`` has the required columns, rows and finite,
    numeric values with non-decreasing time; rows are counted from 1 (first data row)."""
    missing = [c for c in REQUIRED_COLUMNS if c not in ts]
    if missing:
        raise DrysheetInputError(f"{where}: missing column(s) {missing}; need {REQUIRED_COLUMNS}")
    if ts.empty:
        raise DrysheetInputError(f"{where}: no data rows")
    for col in REQUIRED_COLUMNS:
        values = pd.to_numeric(ts[col], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise DrysheetInputError(
                f"{where}: column {col!r} has {bad.size} missing or non-numeric value(s), "
                f"first at data row {bad[0] + 1}"
            )
    backwards = np.flatnonzero(np.diff(ts[TIME].to_numpy(dtype=float)) < 0)
    if backwards.size:
        raise DrysheetInputError(f"{where}: time_s decreases at data row {backwards[0] + 2}")


def interval_integrals(time_s: np.ndarray, y: np.ndarray, step: np.ndarray) -> np.ndarray:
    """The integral of ``y`` over each of the n - 1 intervals between n samples: the
    charge (A s) for ``y`` = current, the energy (J) for ``y`` = power.

    Within a step the trapezoidal rule applies, (y_k + y_k+1) / 2 (t_k+1 - t_k); an
    interval that crosses a step change belongs to the new step and takes its first
    sample's value, y_k+1 (t_k+1 - t_k) (cyclers that log at fixed intervals record a
    step's first sample after the step began). The one integration of current in
    drysheet (through :func:`interval_charge_As` where there is no charge counter).
    """
    same = step[1:] == step[:-1]
    return np.where(same, 0.5 * (y[:-1] + y[1:]), y[1:]) * np.diff(time_s)


def interval_charge_As(ts: pd.DataFrame) -> np.ndarray:
    """Charge (A s) of each of the n - 1 intervals between the samples of ``ts``: the
    one charge that the cycle table, dQ/dV and voltage curves all count.

    It is the instrument's own counter where the series has one
    (``charge_increment_Ah``; the readers also fill that column, gap-aware, for a record
    without a counter but with recording gaps: see
    :func:`drysheet.analysis.readers.tidy.gap_aware_increments`), else
    :func:`interval_integrals` of the current. Intervals ending at a non-cycling sample
    (``cycling`` False) count none.
    """
    if CHARGE_INCREMENT in ts:
        dq = ts[CHARGE_INCREMENT].to_numpy(dtype=float)[1:] * _SECONDS_PER_HOUR
    else:
        t, i = ts[TIME].to_numpy(dtype=float), ts[CURRENT].to_numpy(dtype=float)
        dq = interval_integrals(t, i, ts[STEP].to_numpy())
    return _cycling_only(ts, dq)


def _cycling_only(ts: pd.DataFrame, per_interval: np.ndarray) -> np.ndarray:
    """``per_interval`` with the intervals ending at a non-cycling sample set to 0."""
    if CYCLING not in ts:
        return per_interval
    return np.where(ts[CYCLING].to_numpy(dtype=bool)[1:], per_interval, 0.0)


def _interval_table(ts: pd.DataFrame) -> pd.DataFrame:
    """Charge (A s), energy (J) and duration (s) of every interval between consecutive
    samples, with the cycle and label of the interval's later sample.

    The charge is :func:`interval_charge_As`; its energy is that charge times the
    interval's voltage where the series has a charge counter, else
    :func:`interval_integrals` of the power. Intervals ending at a non-cycling sample
    (``cycling`` False) count neither charge nor energy.
    """
    t = ts[TIME].to_numpy(dtype=float)
    v = ts[VOLTAGE].to_numpy(dtype=float)
    step = ts[STEP].to_numpy()
    dq = interval_charge_As(ts)
    if CHARGE_INCREMENT in ts:
        de = dq * np.where(step[1:] == step[:-1], 0.5 * (v[:-1] + v[1:]), v[1:])
    else:
        de = _cycling_only(ts, interval_integrals(t, v * ts[CURRENT].to_numpy(dtype=float), step))
    labels = ts[LABEL].fillna("").astype(str).to_numpy() if LABEL in ts else np.full(len(ts), "")
    return pd.DataFrame(
        {CYCLE: ts[CYCLE].to_numpy()[1:], LABEL: labels[1:], "dt": np.diff(t), "dq": dq, "de": de}
    )


def _first_label(labels: pd.Series) -> str:
    return str(labels.iloc[0]) if len(labels) else ""


def cycle_table(ts: pd.DataFrame, cam_mass_g: float, one_c_mA_per_g: float = 190.0) -> pd.DataFrame:
    """Per-cycle summary of a time series (columns :data:`CYCLE_COLUMNS`).

    Capacities in mAh/g and energies in mWh/g of CAM; Coulomb efficiency is discharge /
    charge of the same cycle in % (NaN when the cycle has no charge); mean voltages are
    energy / capacity; C-rates are the mean |I| of the segment / (mass * 1C). ``label``
    is the label of the cycle's discharge, else of its charge, else "".
    """
    require_number("cam_mass_g", cam_mass_g)
    check_timeseries(ts)
    if CYCLE not in ts or STEP not in ts:
        ts = assign_cycles(ts)
    iv = _interval_table(ts)
    charge, discharge = iv[iv["dq"] > 0], iv[iv["dq"] < 0]
    cycles = pd.Index(np.unique(ts[CYCLE].to_numpy()), name=CYCLE)

    def sums(part: pd.DataFrame) -> pd.DataFrame:
        return part.groupby(CYCLE)[["dq", "de", "dt"]].sum().reindex(cycles, fill_value=0.0)

    c, d = sums(charge), sums(discharge)
    to_mah_g = 1000.0 / _SECONDS_PER_HOUR / cam_mass_g
    q_c, q_d = c["dq"] * to_mah_g, -d["dq"] * to_mah_g
    e_c, e_d = c["de"] * to_mah_g, -d["de"] * to_mah_g
    one_c_A = cam_mass_g * one_c_mA_per_g / 1000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        table = pd.DataFrame(
            {
                "charge_capacity_mAh_g": q_c,
                "discharge_capacity_mAh_g": q_d,
                "coulomb_efficiency_pct": np.where(q_c > 0, q_d / q_c * 100.0, np.nan),
                "charge_energy_mWh_g": e_c,
                "discharge_energy_mWh_g": e_d,
                "mean_charge_voltage_V": np.where(q_c > 0, e_c / q_c, np.nan),
                "mean_discharge_voltage_V": np.where(q_d > 0, e_d / q_d, np.nan),
                "charge_c_rate": np.where(c["dt"] > 0, c["dq"] / c["dt"] / one_c_A, np.nan),
                "discharge_c_rate": np.where(d["dt"] > 0, -d["dq"] / d["dt"] / one_c_A, np.nan),
            },
            index=cycles,
        )
    label_d = discharge.groupby(CYCLE)[LABEL].agg(_first_label)
    label_c = charge.groupby(CYCLE)[LABEL].agg(_first_label)
    label_any = iv.groupby(CYCLE)[LABEL].agg(_first_label)
    label = label_d.reindex(cycles).fillna(label_c.reindex(cycles))
    label = label.fillna(label_any.reindex(cycles))
    table.insert(0, LABEL, label.fillna("").astype(str))
    return table.reset_index()[list(CYCLE_COLUMNS)]


#: A run none of whose cycles discharges at least this much (mAh/g CAM) delivered no
#: capacity: the solver may have completed the protocol, but the cell does not work
#: (e.g. -40 °C, 100 mg/cm2 or 99 wt% CAM: every step ends at its voltage limit at once).
NO_CAPACITY_mAh_g = 1.0

RunKind = Literal["completed", "stopped", "failed"]


@dataclass(frozen=True)
class RunStatus:
    """How a simulated run ended.

    ``completed``: every step of the protocol ran (``reason`` may carry a note, e.g. on
    steps that ended at once); ``stopped``: the solver stopped in ``cycle`` (protocol
    block ``label``) at its ``step``-th step for ``reason``, the cycles before are kept;
    ``failed``: nothing could be run (``reason``). ``no_capacity``: no cycle discharged
    :data:`NO_CAPACITY_mAh_g` or more, whatever the kind.
    """

    kind: RunKind
    reason: str = ""
    cycle: int | None = None
    step: int | None = None
    label: str | None = None
    no_capacity: bool = False

    @property
    def ok(self) -> bool:
        """Completed and delivered capacity: a run whose numbers can be used as they are."""
        return self.kind == "completed" and not self.no_capacity

    @property
    def clean(self) -> bool:
        """`ok` and nothing to note: what a report need not mention."""
        return self.ok and not self.reason

    @property
    def message(self) -> str:
        """One line for logs, tables and the CLI (starts with the kind)."""
        if self.kind == "completed":
            text = "completed" + (f" ({self.reason})" if self.reason else "")
        elif self.kind == "stopped":
            kept = (self.cycle or 1) - 1
            text = f"stopped in cycle {self.cycle} ({self.label}): {self.reason}; "
            text += f"{kept} full cycles kept"
        else:
            text = f"failed: {self.reason}"
        if self.no_capacity:
            text += f"; no capacity delivered (every discharge < {NO_CAPACITY_mAh_g:g} mAh/g)"
        return text

    def __str__(self) -> str:
        return self.message


def delivered_no_capacity(cycles: pd.DataFrame) -> bool:
    """True when no cycle of a :func:`cycle_table` discharged :data:`NO_CAPACITY_mAh_g`."""
    q = cycles["discharge_capacity_mAh_g"].to_numpy(dtype=float)
    return not bool(np.any(q >= NO_CAPACITY_mAh_g))


@dataclass
class Result:
    """A cell's time series, per-cycle table, metadata and named extra tables.

    ``status`` says how a simulated run ended (None for a measured record).
    """

    timeseries: pd.DataFrame
    cycles: pd.DataFrame
    meta: dict = field(default_factory=dict)
    extras: dict[str, pd.DataFrame] = field(default_factory=dict)
    status: RunStatus | None = None

    @classmethod
    def from_timeseries(
        cls,
        ts: pd.DataFrame,
        cam_mass_g: float,
        meta: Mapping[str, Any] | None = None,
        one_c_mA_per_g: float = 190.0,
        status: RunStatus | None = None,
    ) -> Result:
        """Build a Result; ``step``/``cycle`` are computed when the series lacks them.

        ``meta`` gains ``cam_mass_g`` and ``one_c_mA_per_g``; a ``status`` gains its
        ``no_capacity`` flag from the cycle table.
        """
        check_timeseries(ts)
        if STEP not in ts or CYCLE not in ts:
            ts = assign_cycles(ts)
        full_meta = {**(meta or {}), "cam_mass_g": cam_mass_g, "one_c_mA_per_g": one_c_mA_per_g}
        cycles = cycle_table(ts, cam_mass_g, one_c_mA_per_g)
        if status is not None:
            status = replace(status, no_capacity=delivered_no_capacity(cycles))
        return cls(ts, cycles, full_meta, status=status)


def _longest_label_run(cycles: pd.DataFrame) -> pd.DataFrame:
    run = steps_from_keys(cycles[LABEL].to_numpy())
    longest = np.bincount(run).argmax()
    return cycles[run == longest]


def capacity_retention_pct(
    cycles: pd.DataFrame,
    label: str | None = None,
    first: int | None = None,
    last: int | None = None,
) -> float:
    """Last / first discharge capacity of a block of cycles, in %.

    The block is the cycles carrying ``label`` (if given), limited to cycle numbers
    ``first``..``last`` (if given); with none of these, the longest run of consecutive
    cycles sharing a label (e.g. the long C/5 block of the study protocol).
    """
    block = cycles
    if label is not None:
        block = block[block[LABEL] == label]
    if first is not None:
        block = block[block[CYCLE] >= first]
    if last is not None:
        block = block[block[CYCLE] <= last]
    if label is None and first is None and last is None and len(block):
        block = _longest_label_run(block)
    block = block[block["discharge_capacity_mAh_g"] > 0]
    if len(block) < 1:
        raise DrysheetInputError(
            f"no cycle with a discharge matches label={label!r}, first={first}, last={last}"
        )
    q = block["discharge_capacity_mAh_g"].to_numpy()
    return float(q[-1] / q[0] * 100.0)


def nominal_c_rate(rate: float) -> float:
    """The entry of :data:`NOMINAL_C_RATES` nearest to ``rate`` on a log scale."""
    if not np.isfinite(rate) or rate <= 0:
        return float("nan")
    nominal = np.asarray(NOMINAL_C_RATES)
    return float(nominal[np.argmin(np.abs(np.log(nominal / rate)))])


def rate_table(cycles: pd.DataFrame, by: str = "c_rate") -> pd.DataFrame:
    """Mean discharge capacity per rate step.

    A rate step is a run of consecutive cycles with the same nominal discharge C-rate
    (``by="c_rate"``, rounded with :func:`nominal_c_rate`) or the same label
    (``by="label"``). Columns: rate_step, c_rate (nominal), label, first_cycle,
    last_cycle, n_cycles, discharge_capacity_mAh_g (mean), coulomb_efficiency_pct (mean).
    """
    if by not in ("c_rate", "label"):
        raise DrysheetInputError(f"rate_table: by must be 'c_rate' or 'label', got {by!r}")
    have = cycles[cycles["discharge_capacity_mAh_g"] > 0].copy()
    have["c_rate"] = [nominal_c_rate(r) for r in have["discharge_c_rate"]]
    key = have["c_rate"].to_numpy() if by == "c_rate" else have[LABEL].to_numpy()
    have["rate_step"] = steps_from_keys(key)
    grouped = have.groupby("rate_step", sort=True)
    return pd.DataFrame(
        {
            "c_rate": grouped["c_rate"].median(),
            "label": grouped[LABEL].first(),
            "first_cycle": grouped[CYCLE].min(),
            "last_cycle": grouped[CYCLE].max(),
            "n_cycles": grouped[CYCLE].size(),
            "discharge_capacity_mAh_g": grouped["discharge_capacity_mAh_g"].mean(),
            "coulomb_efficiency_pct": grouped["coulomb_efficiency_pct"].mean(),
        }
    ).reset_index()


def dqdv(
    ts: pd.DataFrame,
    cycle: int,
    smoothing: float = 2.0,
    dv_V: float = 0.005,
    cam_mass_g: float | None = None,
) -> pd.DataFrame:
    """Differential capacity dQ/dV of one cycle, charge and discharge separately.

    The charge of each interval within a step (:func:`interval_charge_As`, as in the
    cycle table: the instrument's counter, recording gaps left out) is binned by its mid
    voltage into bins of ``dv_V`` and divided by the bin width (so the curve integrates back to the
    capacity), then smoothed by a Gaussian filter of standard deviation ``smoothing``
    bins (0 = none; reflecting edges keep the integral and the sign). Returns columns
    ``direction`` ("charge"/"discharge"), ``voltage_V`` (bin centre) and ``dqdv_mAh_V``
    (or ``dqdv_mAh_g_V`` when ``cam_mass_g`` is given); dQ/dV is positive both ways.
    """
    part = ts[ts[CYCLE] == cycle]
    if part.empty:
        raise DrysheetInputError(f"dqdv: no data for cycle {cycle}")
    v = part[VOLTAGE].to_numpy(dtype=float)
    step = part[STEP].to_numpy()
    same = step[1:] == step[:-1]
    dq_mah = interval_charge_As(part)[same] * 1000.0 / _SECONDS_PER_HOUR
    v_mid = (0.5 * (v[1:] + v[:-1]))[same]
    scale = 1.0 / cam_mass_g if cam_mass_g else 1.0
    column = "dqdv_mAh_g_V" if cam_mass_g else "dqdv_mAh_V"
    frames = []
    for direction, mask in (("charge", dq_mah > 0), ("discharge", dq_mah < 0)):
        if not mask.any():
            continue
        lo, hi = v_mid[mask].min(), v_mid[mask].max()
        edges = np.arange(lo, hi + dv_V, dv_V) if hi > lo else np.array([lo, lo + dv_V])
        hist, _ = np.histogram(v_mid[mask], bins=edges, weights=np.abs(dq_mah[mask]))
        density = hist / dv_V * scale
        if smoothing > 0:
            density = gaussian_filter1d(density, smoothing, mode="reflect")
        frames.append(
            pd.DataFrame(
                {"direction": direction, VOLTAGE: 0.5 * (edges[1:] + edges[:-1]), column: density}
            )
        )
    if not frames:
        raise DrysheetInputError(f"dqdv: cycle {cycle} has no current flow")
    return pd.concat(frames, ignore_index=True)


#: Sign of the current in each direction of a cycle (charge positive).
DIRECTIONS = {"charge": 1.0, "discharge": -1.0}


def voltage_curve(
    ts: pd.DataFrame, cycle: int, direction: str, cam_mass_g: float
) -> tuple[np.ndarray, np.ndarray]:
    """Specific capacity (mAh/g, from 0) and voltage along the ``direction`` ("charge"
    or "discharge") steps of one cycle: the charge of :func:`interval_charge_As` (as in
    the cycle table) within those steps, summed (rests and intervals across step changes
    left out)."""
    part = ts[ts[CYCLE] == cycle]
    if len(part) < 2:
        return np.empty(0), np.empty(0)
    v = part[VOLTAGE].to_numpy(dtype=float)
    step = part[STEP].to_numpy()
    scale = np.max(np.abs(ts[CURRENT].to_numpy(dtype=float)), initial=0.0)
    mean = part.groupby(STEP, sort=False)[CURRENT].transform("mean").to_numpy(dtype=float)
    sign = DIRECTIONS[direction]
    in_direction = (sign * mean > REST_FRACTION * scale)[1:]
    sel = (step[1:] == step[:-1]) & in_direction
    if not sel.any():
        return np.empty(0), np.empty(0)
    dq = np.clip(sign * interval_charge_As(part), 0.0, None)[sel]
    q = np.concatenate([[0.0], np.cumsum(dq)]) / (_SECONDS_PER_HOUR / 1000.0) / cam_mass_g
    return q, np.concatenate([[v[:-1][sel][0]], v[1:][sel]])


CSV_MAGIC = "# drysheet cycler csv v1"


def write_cycler_csv(result: Result, path: str | Path) -> Path:
    """Write the time series as a cycler-like CSV that :func:`drysheet.analysis.read_cycler`
    reads back (generic CSV format) to the same cycle table.

    Leading ``# key: value`` lines carry scalar metadata (e.g. ``cam_mass_g``); then one
    header row and one row per sample with the schema's columns.
    """
    path = Path(path)
    lines = [CSV_MAGIC]
    scalars = {**result.meta, **({"status": result.status.message} if result.status else {})}
    for key, value in scalars.items():
        if isinstance(value, str | int | float | bool) and "\n" not in str(value):
            lines.append(f"# {key}: {value}")
    columns = [c for c in TIMESERIES_COLUMNS if c in result.timeseries]
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("\n".join(lines) + "\n")
        result.timeseries[columns].to_csv(fh, index=False, lineterminator="\n")
    return path
