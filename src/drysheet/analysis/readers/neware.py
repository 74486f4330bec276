"""Neware .nda and .ndax records, read with fastnda.

fastnda reports current in mA with charge positive, the total test time in s, a step
counter that increments at every step (``step_count``) and the instrument's cycle
number (read raw, kept as ``cycle_instrument``). The active mass stored in the file's
metadata (``active_mass_mg``) becomes ``attrs["cam_mass_g"]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drysheet.analysis.readers.tidy import tidy
from drysheet.errors import DrysheetInputError

_NEEDED = ("total_time_s", "voltage_V", "current_mA", "step_count")


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
    columns = {c: frame[c].to_numpy() for c in (*_NEEDED, "cycle_count") if c in frame.columns}
    meta: dict[str, Any] = {}
    mass_mg = meta_raw.get("active_mass_mg") if isinstance(meta_raw, dict) else None
    if isinstance(mass_mg, int | float) and np.isfinite(mass_mg) and mass_mg > 0:
        meta["cam_mass_g"] = float(mass_mg) / 1000.0
    return tidy(
        path,
        fmt,
        columns["total_time_s"],
        columns["voltage_V"],
        columns["current_mA"].astype(float) / 1000.0,
        [columns["step_count"]],
        columns.get("cycle_count"),
        meta=meta,
    )
