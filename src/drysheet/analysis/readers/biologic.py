"""BioLogic EC-Lab / BT-Lab records: binary .mpr (via galvani) and .mpt text exports.

Column conventions (EC-Lab names): ``time/s``; voltage ``Ewe/V`` (or ``Ecell/V``,
``<Ewe>/V``); current ``I/mA`` or ``<I>/mA``, else derived from the charge increment
``dq/mA.h`` per interval (GCPL files often store no current); a record with neither
(an OCV technique) reads with zero current and is marked non-cycling. The
instrument's charge counter becomes ``charge_increment_Ah``: ``dq/mA.h`` (the charge
of each interval), else the differences of ``(Q-Qo)/mA.h``. Steps from ``Ns`` and
``half cycle``; ``Ns`` kept as ``step_instrument``, ``cycle number`` (in .mpt exports;
galvani's .mpr reader does not give it) as ``cycle_instrument``. Impedance points
inside a cycling file (``freq/Hz`` > 0) are marked non-cycling. EC-Lab already counts
oxidation current as positive, which is drysheet's convention.

galvani reads the data module of .mpr files but not the cell characteristics, so the
characteristic mass is read by hand from the settings module (offset 0x24C, float32,
as documented by yadg) with its unit code at 0x251 (1 = g, 2 = mg, 3 = µg; inferred
from EC-Lab files, not documented by BioLogic). galvani's ``MPTfile`` rejects columns it
does not know, so .mpt files are parsed here.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from galvani import BioLogic

from drysheet.analysis.readers.text import PARSE_ERRORS, read_table, read_text
from drysheet.analysis.readers.tidy import counter_increments, tidy
from drysheet.errors import DrysheetInputError

MPR_MAGIC = b"BIO-LOGIC MODULAR FILE"
MPT_MAGICS = ("EC-Lab ASCII FILE", "BT-Lab ASCII FILE")

_VOLTAGE_COLUMNS = ("Ewe/V", "Ecell/V", "<Ewe>/V", "<Ewe/V>", "<Ecell>/V")
_CURRENT_COLUMNS = ("I/mA", "<I>/mA", "<I/mA>")
_DQ_COLUMNS = ("dq/mA.h", "dQ/mA.h")
_Q_QO_COLUMNS = ("(Q-Qo)/mA.h", "Q-Qo/mA.h")
#: Impedance points recorded inside a cycling file (Modulo Bat, looped PEIS) carry
#: their frequency; cycling samples have none (0).
_FREQ = "freq/Hz"
_MASS_OFFSET, _MASS_UNIT_OFFSET = 0x24C, 0x251
_MASS_UNIT_TO_G = {1: 1.0, 2: 1e-3, 3: 1e-6}
_HEADER_MASS_UNIT_TO_G = {"kg": 1e3, "g": 1.0, "mg": 1e-3, "µg": 1e-6, "ug": 1e-6}
#: EC-Lab's default characteristic mass (0.001 g) means "not entered".
_DEFAULT_MASS_G = 1e-3


def mpr_file(path: Path) -> BioLogic.MPRfile:
    """galvani's reading of a .mpr file; DrysheetInputError when it fails."""
    try:
        return BioLogic.MPRfile(str(path))
    except Exception as exc:  # galvani raises many types on corrupt input
        reason = " ".join(str(exc).split())
        raise DrysheetInputError(f"{path}: not a readable BioLogic .mpr file ({reason})") from exc


def read_mpr(path: Path) -> pd.DataFrame:
    """Read a BioLogic .mpr file into the drysheet time-series schema."""
    mpr = mpr_file(path)
    try:
        data = pd.DataFrame(mpr.data)
    except Exception as exc:  # a data module galvani parsed but cannot tabulate
        reason = " ".join(str(exc).split())
        raise DrysheetInputError(f"{path}: not a readable BioLogic .mpr file ({reason})") from exc
    meta: dict[str, Any] = {}
    settings = next((m["data"] for m in mpr.modules if m["shortname"].strip() == b"VMP Set"), b"")
    mass_g = _settings_mass_g(settings)
    if mass_g is not None:
        meta["cam_mass_g"] = mass_g
    if getattr(mpr, "timestamp", None) is not None:
        meta["start_time"] = mpr.timestamp.isoformat()
    return _biologic_frame(data, path, "biologic-mpr", meta)


def _settings_mass_g(settings: bytes) -> float | None:
    """Characteristic mass in g from a .mpr settings module, None if absent or default."""
    if len(settings) < _MASS_UNIT_OFFSET + 1:
        return None
    (value,) = struct.unpack_from("<f", settings, _MASS_OFFSET)
    factor = _MASS_UNIT_TO_G.get(settings[_MASS_UNIT_OFFSET])
    if factor is None or not np.isfinite(value) or value <= 0:
        return None
    mass_g = float(np.float32(value)) * factor
    return None if np.isclose(mass_g, _DEFAULT_MASS_G, rtol=1e-4) else round(mass_g, 9)


def read_mpt(path: Path) -> pd.DataFrame:
    """Read an EC-Lab .mpt text export (header block optional, decimal comma accepted)."""
    text = read_text(path, "EC-Lab .mpt text export")
    lines = text.splitlines()
    meta: dict[str, Any] = {}
    start = 0
    if lines[0].strip() in MPT_MAGICS:
        match = (
            re.match(r"Nb header lines\s*:\s*([0-9]{1,9})\s*$", lines[1])
            if len(lines) > 1
            else None
        )
        if match is None or int(match.group(1)) < 3:
            raise DrysheetInputError(f"{path}: .mpt header lacks a valid 'Nb header lines' line")
        start = int(match.group(1)) - 1
        if start >= len(lines):
            raise DrysheetInputError(f"{path}: .mpt file is truncated inside its header")
        mass_g = _header_mass_g(lines[:start])
        if mass_g is not None:
            meta["cam_mass_g"] = mass_g
    data = read_table("\n".join(lines[start:]), "\t", path, "EC-Lab .mpt table")
    return _biologic_frame(data, path, "biologic-mpt", meta)


def _header_mass_g(header: list[str]) -> float | None:
    for line in header:
        match = re.match(r"Characteristic mass\s*:\s*([-+\d.,eE]+)\s*(kg|g|mg|µg|ug)\s*$", line)
        if match:
            try:
                value = float(match.group(1).replace(",", "."))
            except ValueError:
                return None
            mass_g = value * _HEADER_MASS_UNIT_TO_G[match.group(2)]
            return None if np.isclose(mass_g, _DEFAULT_MASS_G) or mass_g <= 0 else mass_g
    return None


def _first(data: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in data), None)


def _biologic_frame(data: pd.DataFrame, path: Path, fmt: str, meta: dict) -> pd.DataFrame:
    voltage, current, dq, q_qo = (
        _first(data, names)
        for names in (_VOLTAGE_COLUMNS, _CURRENT_COLUMNS, _DQ_COLUMNS, _Q_QO_COLUMNS)
    )
    missing = [] if "time/s" in data else ["time/s"]
    if voltage is None:
        missing.append("Ewe/V or Ecell/V")
    if missing:
        raise DrysheetInputError(
            f"{path} ({fmt}): missing column(s) {missing}; found {list(data.columns)}"
        )
    try:
        time = data["time/s"].to_numpy(dtype=float)
        if dq is not None:
            increment_mAh = data[dq].to_numpy(dtype=float)
        elif q_qo is not None:
            increment_mAh = counter_increments(data[q_qo].to_numpy(dtype=float))
        else:
            increment_mAh = None
        if current is not None:
            current_mA = data[current].to_numpy(dtype=float)
        elif increment_mAh is not None:
            current_mA = _current_from_dq(time, increment_mAh)
        else:  # an open-circuit (OCV) record
            current_mA = np.zeros(len(data))
        freq = data[_FREQ].to_numpy(dtype=float) if _FREQ in data else np.zeros(len(data))
    except PARSE_ERRORS as exc:
        raise DrysheetInputError(
            f"{path} ({fmt}): non-numeric time, current, charge or frequency ({exc})"
        ) from exc
    if current is None and increment_mAh is None:
        cycling = np.zeros(len(data), dtype=bool)
    else:
        cycling = freq == 0
    keys = [data[k].to_numpy() for k in ("Ns", "half cycle") if k in data]
    return tidy(
        path,
        fmt,
        time,
        data[voltage],
        current_mA / 1000.0,
        keys,
        data.get("cycle number"),
        meta=meta,
        step_instrument=data.get("Ns"),
        charge_increment_Ah=None if increment_mAh is None else increment_mAh / 1000.0,
        cycling=None if cycling.all() else cycling,
    )


def _current_from_dq(time_s: np.ndarray, dq_mAh: np.ndarray) -> np.ndarray:
    """Mean current (mA) over each interval from its charge increment; samples with no
    elapsed time take the next (else previous) valid value."""
    dt = np.diff(time_s, prepend=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        current = np.where(dt > 0, dq_mAh * 3600.0 / dt, np.nan)
    return pd.Series(current).bfill().ffill().fillna(0.0).to_numpy()
