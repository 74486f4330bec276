"""Neware .nda and .ndax records, read with fastnda.

fastnda reports current in mA with charge positive, the total test time in s, a step
counter that increments at every step (``step_count``), the protocol's step number
(``step_index``, kept as ``step_instrument``), the instrument's cycle number (read
raw, kept as ``cycle_instrument``), the step type and the charge counter
``capacity_mAh`` (signed, restarting at each step; its increments become
``charge_increment_Ah``). Pulse, drive-cycle (SIM), IR, OCV, CV and ramp steps are
marked non-cycling. The active mass stored in the file's metadata
(``active_mass_mg``) becomes ``attrs["cam_mass_g"]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drysheet.analysis.readers.tidy import counter_increments, restarts_at, tidy
from drysheet.errors import DrysheetInputError

_NEEDED = ("total_time_s", "voltage_V", "current_mA", "step_count")
#: fastnda's names of Neware step types that are not charge or discharge steps of a
#: cycle: pulses, drive-cycle simulations, IR and OCV checks, CV and ramps.
NON_CYCLING_STEPS = ("Pulse", "SIM", "IR", "OCV", "CyclicVoltammetry", "Ramp")


def read_neware(path: Path) -> pd.DataFrame:
    """Read a Neware .nda/.ndax file into the drysheet time-series schema."""
    import fastnda

    fmt = "neware-" + path.suffix.lower().lstrip(".")
    try:
        frame = fastnda.read(path, cycle_mode="raw")
        meta_raw = fastnda.read_metadata(path)
    except Exception as exc:  # fastnda/polars raise many types on corrupt input
        reason = " ".join(str(exc).split())
        raise DrysheetInputError(f"{path}: not a readable Neware file ({reason})") from exc
    missing = [c for c in _NEEDED if c not in frame.columns]
    if missing:
        raise DrysheetInputError(f"{path} ({fmt}): missing field(s) {missing}")
    optional = ("cycle_count", "step_index", "step_type", "capacity_mAh")
    columns = {c: frame[c].to_numpy() for c in (*_NEEDED, *optional) if c in frame.columns}
    meta: dict[str, Any] = {}
    mass_mg = meta_raw.get("active_mass_mg") if isinstance(meta_raw, dict) else None
    if isinstance(mass_mg, int | float) and np.isfinite(mass_mg) and mass_mg > 0:
        meta["cam_mass_g"] = float(mass_mg) / 1000.0
    step_count = columns["step_count"]
    increment_Ah = None
    if "capacity_mAh" in columns:
        capacity = columns["capacity_mAh"].astype(float)
        increment_Ah = counter_increments(capacity, restarts_at(step_count)) / 1000.0
    cycling = None
    if "step_type" in columns:
        cycling = ~np.isin(columns["step_type"].astype(str), NON_CYCLING_STEPS)
    return tidy(
        path,
        fmt,
        columns["total_time_s"],
        columns["voltage_V"],
        columns["current_mA"].astype(float) / 1000.0,
        [step_count],
        columns.get("cycle_count"),
        meta=meta,
        step_instrument=columns.get("step_index"),
        charge_increment_Ah=increment_Ah,
        cycling=None if cycling is None or cycling.all() else cycling,
    )
