"""Differential electrochemical mass spectrometry (DEMS): ion currents to gas amounts.

Input: a table of ion currents (A) per mass-to-charge ratio against time (s), e.g. a CSV
with a time column and one column per m/z ("2", "m/z 32", "mz44", "m/z=64 (A)"...).
Per gas, the ion current at its m/z, minus a linear background fitted over a rest
window (before current flows), times a calibration factor (µmol/s per A of ion current,
from a calibration gas) gives the molar flow in µmol/s; its time integral per gram of
cathode active material is the cumulative evolution in µmol/g. The gas trace can be
aligned with the cell's voltage by time, with an offset for the transit delay of the
carrier gas. Gases of the study: H2 (m/z 2), O2 (32), CO2 (44), SO2 (64).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.integrate import cumulative_trapezoid

from drysheet.analysis.readers.columns import find_column
from drysheet.analysis.readers.text import read_table, read_text, sniff_delimiter
from drysheet.errors import DrysheetInputError
from drysheet.result import CURRENT, TIME, VOLTAGE

#: m/z monitored for each gas.
GASES: dict[str, int] = {"H2": 2, "O2": 32, "CO2": 44, "SO2": 64}

_MZ_HEADER = re.compile(
    r"^(?:m/?z|mz|mass)?\s*[=_:]?\s*(\d+)\s*(?:\(A\)|/A|_A|\[A\])?$", re.IGNORECASE
)
_TIME_ALIASES = ((TIME, 1.0), ("time/s", 1.0), ("time (s)", 1.0), ("time", 1.0))


def mz_column(mz: int) -> str:
    """drysheet's column name for the ion current at ``mz`` (A)."""
    return f"mz{mz}_A"


def read_dems_csv(path: str | Path) -> pd.DataFrame:
    """Read ion currents per m/z into columns ``time_s`` and ``mz<N>_A`` (A)."""
    path = Path(path)
    text = read_text(path, "DEMS ion-current table")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        raise DrysheetInputError(f"{path}: no header row")
    data = read_table("\n".join(lines), sniff_delimiter(lines[0]), path, "DEMS table")
    time = find_column(data, _TIME_ALIASES)
    if time is None:
        raise DrysheetInputError(f"{path}: no time column; found {list(data.columns)}")
    out = {TIME: pd.to_numeric(data[time[0]], errors="coerce")}
    for column in data.columns:
        match = _MZ_HEADER.match(column.strip())
        if match and column != time[0]:
            out[mz_column(int(match.group(1)))] = pd.to_numeric(data[column], errors="coerce")
    frame = pd.DataFrame(out)
    if frame.shape[1] < 2:
        raise DrysheetInputError(
            f"{path}: no m/z ion-current columns (headers like '44' or 'm/z 44'); "
            f"found {list(data.columns)}"
        )
    bad = ~np.isfinite(frame.to_numpy(dtype=float)).all(axis=1)
    if bad.any():
        raise DrysheetInputError(
            f"{path}: missing or non-numeric values, first at data row {np.argmax(bad) + 1}"
        )
    return frame


@dataclass(frozen=True)
class DemsCalibration:
    """Calibration of the mass spectrometer.

    ``factors_umol_s_per_A``: molar flow (µmol/s) per A of background-free ion current,
    per gas; ``background_window_s``: (start, end) of a rest period whose ion currents
    define each gas's linear background; ``mz``: m/z per gas.
    """

    factors_umol_s_per_A: Mapping[str, float]
    background_window_s: tuple[float, float]
    mz: Mapping[str, int] = field(default_factory=lambda: dict(GASES))


def molar_flow(ion: pd.DataFrame, calibration: DemsCalibration) -> pd.DataFrame:
    """Background-subtracted molar flow per calibrated gas: ``time_s``, ``<gas>_umol_s``."""
    t = ion[TIME].to_numpy(dtype=float)
    start, end = calibration.background_window_s
    window = (t >= start) & (t <= end)
    if window.sum() < 2:
        raise DrysheetInputError(
            f"background window {start}-{end} s holds {window.sum()} sample(s); need >= 2"
        )
    out = pd.DataFrame({TIME: t})
    for gas, factor in calibration.factors_umol_s_per_A.items():
        mz = calibration.mz.get(gas)
        if mz is None or mz_column(mz) not in ion:
            raise DrysheetInputError(f"no ion current for {gas} (m/z {mz}) in the DEMS data")
        signal = ion[mz_column(mz)].to_numpy(dtype=float)
        slope, offset = np.polyfit(t[window], signal[window], 1)
        out[f"{gas}_umol_s"] = (signal - (slope * t + offset)) * factor
    return out


def cumulative_umol_per_g(flow: pd.DataFrame, cam_mass_g: float) -> pd.DataFrame:
    """Add ``<gas>_umol_g``: time integral (trapezoidal) of each molar flow per g CAM."""
    if not cam_mass_g > 0:
        raise DrysheetInputError(f"cam_mass_g must be positive, got {cam_mass_g!r}")
    out = flow.copy()
    t = flow[TIME].to_numpy(dtype=float)
    for column in [c for c in flow.columns if c.endswith("_umol_s")]:
        amount = cumulative_trapezoid(flow[column].to_numpy(dtype=float), t, initial=0.0)
        out[column.removesuffix("_umol_s") + "_umol_g"] = amount / cam_mass_g
    return out


def align_to_cycler(
    gas: pd.DataFrame, ts: pd.DataFrame, time_offset_s: float = 0.0
) -> pd.DataFrame:
    """Add the cell's ``voltage_V`` and ``current_A``, linearly interpolated at the gas
    sample times; ``time_offset_s`` is added to the gas clock to reach the cycler clock
    (NaN outside the cycler record)."""
    out = gas.copy()
    t_cell = ts[TIME].to_numpy(dtype=float)
    t_gas = gas[TIME].to_numpy(dtype=float) + time_offset_s
    for column in (VOLTAGE, CURRENT):
        out[column] = np.interp(
            t_gas, t_cell, ts[column].to_numpy(dtype=float), left=np.nan, right=np.nan
        )
    return out


def analyse_dems(
    ion: pd.DataFrame,
    calibration: DemsCalibration,
    cam_mass_g: float,
    ts: pd.DataFrame | None = None,
    time_offset_s: float = 0.0,
) -> pd.DataFrame:
    """Molar flows, cumulative µmol/g and (with a cycler time series) voltage and
    current at each gas sample."""
    gas = cumulative_umol_per_g(molar_flow(ion, calibration), cam_mass_g)
    return gas if ts is None else align_to_cycler(gas, ts, time_offset_s)
