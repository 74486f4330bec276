"""Zilien (Spectro Inlets) DEMS / EC-MS ``.tsv`` files, read with ixdat.

ixdat's Zilien reader parses the file (metadata lines, a series header line such as
``C0M44``, a column header line such as ``Time [s]  M44-CO2 [A]``) into one time series
per mass channel: Zilien measures the channels in turn, each at its own times. drysheet's
DEMS table (``time_s`` and ``mz<N>_A`` in A, as :func:`drysheet.analysis.dems.read_dems_csv`
gives) has one time axis, so every channel is interpolated linearly onto the times of
the lowest mass, within the span all channels cover (no extrapolation). Times are s from
the start of the Zilien measurement.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from drysheet.errors import DrysheetInputError
from drysheet.result import TIME

FORMAT = "zilien-tsv"
_MASS = re.compile(r"^M([0-9]+)$")


def looks_like_zilien(head: str) -> bool:
    """Whether a file starts like a Zilien .tsv: its first metadata line names the
    file format version (5 tab-separated fields: name, comment, series, type, value)."""
    first = head.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r").split("\t")
    return len(first) == 5 and first[0] == "file_format_version"


def read_zilien(path: str | Path) -> pd.DataFrame:
    """Ion currents of a Zilien .tsv file as ``time_s`` and ``mz<N>_A`` (A)."""
    from drysheet.analysis.dems import mz_column

    path = Path(path)
    if not path.is_file():
        raise DrysheetInputError(f"{path}: no such file")
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # ixdat announces its import
            from ixdat import Measurement

            measurement = Measurement.read(path, reader="zilien", technique="MS")
            channels = {
                int(match.group(1)): measurement.grab(name)
                for name in measurement.series_names
                if (match := _MASS.match(name.removesuffix(" [A]")))
            }
    except Exception as exc:  # ixdat raises many types on malformed files
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        raise DrysheetInputError(f"{path}: not a readable Zilien .tsv file ({reason})") from exc
    if not channels:
        raise DrysheetInputError(
            f"{path}: Zilien file without mass channels (series like C0M44 with M44 [A])"
        )
    start = max(t[0] for t, _ in channels.values() if len(t))
    end = min(t[-1] for t, _ in channels.values() if len(t))
    t_grid, _ = channels[min(channels)]
    t_grid = t_grid[(t_grid >= start) & (t_grid <= end)]
    if t_grid.size < 2:
        raise DrysheetInputError(f"{path}: the mass channels share no span of time")
    table = pd.DataFrame({TIME: t_grid})
    for mz, (t, current) in sorted(channels.items()):
        table[mz_column(mz)] = np.interp(t_grid, t, current)
    if not np.isfinite(table.to_numpy()).all():
        raise DrysheetInputError(f"{path}: missing or non-numeric values in the mass channels")
    table.attrs = {"source": str(path), "format": FORMAT}
    return table
