"""BioLogic EC-Lab / BT-Lab records: binary .mpr (via datalab-org-galvani) and .mpt text.

Column conventions (EC-Lab names, as in .mpt exports): ``time/s``; voltage ``Ewe/V``
(or ``Ecell/V``, ``<Ewe>/V``); current ``I/mA`` or ``<I>/mA``, else derived from the
charge increment ``dq/mA.h`` per interval (GCPL files often store no current); a record
with neither (an OCV technique) reads with zero current and is marked non-cycling. The
instrument's charge counter becomes ``charge_increment_Ah``: ``dq/mA.h`` (the charge of
each interval), else ``dQ/C`` or ``dQ/mA.h`` (CA, CP: the charge since the step began,
restarting where ``Ns`` or ``half cycle`` changes, loops included), else the differences
of ``(Q-Qo)/mA.h`` (or ``/C``), restarting (at each loop) where it changes against the
current. These meanings were checked against the trapezoidal integral of the current on
the .mpt exports of yadg's test data.
Steps from ``Ns`` and ``half cycle``; ``Ns`` kept as ``step_instrument``. EC-Lab's
cycle number is kept as ``cycle_instrument``: the ``cycle number`` column where the
file stores it (CV, PEIS, GEIS), else ``half cycle`` // 2, which is what EC-Lab writes
as ``cycle number`` in its own .mpt export of such files (checked on the 26 .mpr/.mpt
pairs of yadg's test data that have half cycles). Impedance points inside a cycling
file (``freq/Hz`` > 0, e.g. Modulo Bat) and whole records of non-cycling techniques
(:data:`NON_CYCLING_TECHNIQUES`: voltammetry, impedance, OCV, wait, pulses) are
marked non-cycling. EC-Lab already counts oxidation current as positive, which is
drysheet's convention.

.mpr files are read with datalab-org-galvani (the maintained fork of galvani, same
``galvani`` module), which knows the data columns of EC-Lab 11.50 and later (IDs such as
112, 182, 185, 215 that galvani 0.5 refuses); one column it does not know is read at the
width the record length leaves for it and left out, several are refused. yadg reads
these files too but pins pandas < 3, which holds pyimpspec (DRT, Z-HIT) at a release
whose Z-HIT fails with SciPy 1.17. The technique code (first byte of the settings
module, :data:`TECHNIQUE_IDS` as yadg documents them) and the characteristic mass are
read by hand from the settings module: the mass at offset 0x24C (float32, as documented
by yadg) with its unit code at 0x251 (1 = g, 2 = mg, 3 = µg; inferred from EC-Lab
files and checked against the .mpt headers of yadg's test data, not documented by
BioLogic). galvani's ``MPTfile`` rejects columns it does not know, so .mpt files are
parsed here.
"""

from __future__ import annotations

import io
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from galvani import BioLogic

from drysheet.analysis.readers.text import PARSE_ERRORS, read_table, read_text
from drysheet.analysis.readers.tidy import counter_increments, restarts_at, tidy
from drysheet.errors import DrysheetInputError

MPR_MAGIC = b"BIO-LOGIC MODULAR FILE"
MPT_MAGICS = ("EC-Lab ASCII FILE", "BT-Lab ASCII FILE")

_VOLTAGE_COLUMNS = ("Ewe/V", "Ecell/V", "<Ewe>/V", "<Ewe/V>", "<Ecell>/V")
_CURRENT_COLUMNS = ("I/mA", "<I>/mA", "<I/mA>")
#: Charge columns with their factor to mA h (1 mA h = 3.6 C).
_DQ_COLUMNS = (("dq/mA.h", 1.0), ("dq/C", 1 / 3.6))
#: EC-Lab's ``dQ`` (CA, CP, constant-current/voltage techniques): the charge since the
#: step (sequence ``Ns`` or loop, counted by ``half cycle``) began.
_STEP_Q_COLUMNS = (("dQ/mA.h", 1.0), ("dQ/C", 1 / 3.6))
_Q_QO_COLUMNS = (("(Q-Qo)/mA.h", 1.0), ("Q-Qo/mA.h", 1.0), ("(Q-Qo)/C", 1 / 3.6))
#: Impedance points recorded inside a cycling file (Modulo Bat, looped PEIS) carry
#: their frequency; cycling samples have none (0).
_FREQ = "freq/Hz"
#: EC-Lab techniques whose records are no charge/discharge cycling (yadg's short names):
#: voltammetry (CV, CVA, LSV), impedance (PEIS, GEIS, their staircase forms, ZIR),
#: open circuit and wait, modular pulses.
NON_CYCLING_TECHNIQUES = frozenset(
    {"CV", "CVA", "LSV", "PEIS", "GEIS", "SPEIS", "SGEIS", "ZIR", "OCV", "WAIT", "MP"}
)
#: The technique names .mpt headers give, for the same techniques.
_MPT_TECHNIQUES = {
    "Cyclic Voltammetry": "CV",
    "Cyclic Voltammetry Advanced": "CVA",
    "Linear Sweep Voltammetry": "LSV",
    "Potentio Electrochemical Impedance Spectroscopy": "PEIS",
    "Galvano Electrochemical Impedance Spectroscopy": "GEIS",
    "Staircase Potentio Electrochemical Impedance Spectroscopy": "SPEIS",
    "Staircase Galvano Electrochemical Impedance Spectroscopy": "SGEIS",
    "IR compensation (PEIS)": "ZIR",
    "Open Circuit Voltage": "OCV",
    "Wait": "WAIT",
    "Modular Pulse": "MP",
    "Galvanostatic Cycling with Potential Limitation": "GCPL",
    "Modulo Bat": "MB",
    "Chronopotentiometry": "CP",
    "Chronoamperometry / Chronocoulometry": "CA",
    "Battery Capacity Determination": "BCD",
}
_MASS_OFFSET, _MASS_UNIT_OFFSET = 0x24C, 0x251
_MASS_UNIT_TO_G = {1: 1.0, 2: 1e-3, 3: 1e-6}
_HEADER_MASS_UNIT_TO_G = {"kg": 1e3, "g": 1.0, "mg": 1e-3, "µg": 1e-6, "ug": 1e-6}
#: EC-Lab's default characteristic mass (0.001 g) means "not entered".
_DEFAULT_MASS_G = 1e-3
#: EC-Lab's technique codes (first byte of a .mpr settings module), as yadg documents
#: them (yadg.extractors.eclab.techniques), by the short names .mpt headers abbreviate.
TECHNIQUE_IDS = {
    0x04: "GCPL", 0x06: "CV", 0x0B: "OCV", 0x16: "MP", 0x18: "CA", 0x19: "CP", 0x1C: "WAIT",
    0x1D: "PEIS", 0x1E: "GEIS", 0x30: "CV", 0x32: "ZIR", 0x33: "CVA", 0x6C: "LSV",
    0x75: "coV", 0x76: "coC", 0x77: "GCPL", 0x7F: "MB", 0x88: "BCD",
}  # fmt: skip


def mpr_table(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The data of a .mpr file with EC-Lab's column names (``time/s``, ``Ewe/V``,
    ``freq/Hz``...) and its metadata (``technique``, ``start_time``, ``cam_mass_g``).

    DrysheetInputError naming galvani's reason when it cannot read the file, a data
    column it does not know included (its bytes would be read with a guessed type).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DrysheetInputError(f"{path}: cannot read file ({exc.strerror})") from exc
    try:
        mpr = _mpr_file(raw)
        data = pd.DataFrame(mpr.data)
    except Exception as exc:  # galvani raises many types on corrupt input
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        raise DrysheetInputError(f"{path}: not a readable BioLogic .mpr file ({reason})") from exc
    meta: dict[str, Any] = {}
    settings = _settings_module(raw)
    if settings and settings[0] in TECHNIQUE_IDS:
        meta["technique"] = TECHNIQUE_IDS[settings[0]]
    if getattr(mpr, "timestamp", None) is not None:
        meta["start_time"] = mpr.timestamp.isoformat()
    mass_g = _settings_mass_g(settings)
    if mass_g is not None:
        meta["cam_mass_g"] = mass_g
    return data, meta


def _mpr_file(raw: bytes) -> BioLogic.MPRfile:
    """galvani's reading; a single column it does not know is read at the one width that
    fits the record length (galvani's search), and left out (``unknown_colID_<n>``);
    several could be read misaligned and are refused."""
    try:
        return BioLogic.MPRfile(io.BytesIO(raw), error_on_unknown_column=True)
    except NotImplementedError as exc:
        mpr = BioLogic.MPRfile(io.BytesIO(raw), error_on_unknown_column=False)
        unknown = [n for n in mpr.data.dtype.names if n.startswith("unknown_colID")]
        if len(unknown) > 1:
            raise ValueError(f"{len(unknown)} unknown column IDs: {unknown}") from exc
        return mpr


def _settings_module(raw: bytes) -> bytes:
    """The data of a .mpr file's settings module (``VMP Set``), b"" if it has none."""
    try:
        fh = io.BytesIO(raw)
        fh.seek(raw.index(b"MODULE"))
        modules = BioLogic.read_VMP_modules(fh)
        return next((m["data"] for m in modules if m["shortname"].strip() == b"VMP Set"), b"")
    except (ValueError, OSError, KeyError, TypeError):
        return b""


def read_mpr(path: Path) -> pd.DataFrame:
    """Read a BioLogic .mpr file into the drysheet time-series schema."""
    data, meta = mpr_table(path)
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
        technique = next(
            (_MPT_TECHNIQUES[t] for t in map(str.strip, lines[2:start]) if t in _MPT_TECHNIQUES),
            None,
        )
        if technique is not None:
            meta["technique"] = technique
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


def _first(data: pd.DataFrame, names: tuple[Any, ...]) -> Any:
    return next((n for n in names if (n[0] if isinstance(n, tuple) else n) in data), None)


def _biologic_frame(data: pd.DataFrame, path: Path, fmt: str, meta: dict) -> pd.DataFrame:
    voltage, current, dq, step_q, q_qo = (
        _first(data, names)
        for names in (
            _VOLTAGE_COLUMNS, _CURRENT_COLUMNS, _DQ_COLUMNS, _STEP_Q_COLUMNS, _Q_QO_COLUMNS,
        )
    )  # fmt: skip
    missing = [] if "time/s" in data else ["time/s"]
    if voltage is None:
        missing.append("Ewe/V or Ecell/V")
    if missing:
        raise DrysheetInputError(
            f"{path} ({fmt}): missing column(s) {missing}; found {list(data.columns)}"
        )
    try:
        time = _seconds(data["time/s"], meta)
        if dq is not None:
            increment_mAh = data[dq[0]].to_numpy(dtype=float) * dq[1]
        elif step_q is not None:
            keys = [data[k].to_numpy() for k in ("Ns", "half cycle") if k in data]
            restarts = restarts_at(*keys) if keys else None
            counter = data[step_q[0]].to_numpy(dtype=float) * step_q[1]
            increment_mAh = counter_increments(counter, restarts)
        elif q_qo is not None:
            counter = data[q_qo[0]].to_numpy(dtype=float) * q_qo[1]
            increment_mAh = counter_increments(counter, _against_current(counter, data, current))
        else:
            increment_mAh = None
        if current is not None:
            current_mA = data[current].to_numpy(dtype=float)
        elif increment_mAh is not None:
            current_mA = _current_from_dq(time, increment_mAh)
        else:  # an open-circuit (OCV) record
            current_mA = np.zeros(len(data))
        freq = data[_FREQ].to_numpy(dtype=float) if _FREQ in data else np.zeros(len(data))
        cycle = _cycle_number(data)
    except PARSE_ERRORS as exc:
        raise DrysheetInputError(
            f"{path} ({fmt}): non-numeric time, current, charge, frequency or cycle ({exc})"
        ) from exc
    if (current is None and increment_mAh is None) or meta.get(
        "technique"
    ) in NON_CYCLING_TECHNIQUES:
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
        cycle,
        meta=meta,
        step_instrument=data.get("Ns"),
        charge_increment_Ah=None if increment_mAh is None else increment_mAh / 1000.0,
        cycling=None if cycling.all() else cycling,
    )


def _against_current(counter: np.ndarray, data: pd.DataFrame, current: str | None) -> Any:
    """Where (Q-Qo) restarts (at each loop of CA/CP techniques): where it changes against
    the current at both ends of the interval, which a charge counter cannot."""
    if current is None:
        return None
    i = data[current].to_numpy(dtype=float)
    change = np.diff(counter, prepend=counter[:1])
    return (change * i < 0) & (change * np.roll(i, 1) < 0)


def _seconds(time: pd.Series, meta: dict) -> np.ndarray:
    """``time/s`` in s; an export with absolute times (BT-Lab's and EC-Lab's option,
    ``MM/DD/YYYY hh:mm:ss.fff``) gives s since its first sample, which becomes
    ``start_time``."""
    if pd.api.types.is_numeric_dtype(time):
        return time.to_numpy(dtype=float)
    stamps = pd.to_datetime(time, format="%m/%d/%Y %H:%M:%S.%f", errors="coerce")
    if stamps.isna().all():
        return time.to_numpy(dtype=float)  # neither: refused as non-numeric
    meta.setdefault("start_time", stamps.iloc[0].isoformat())
    return (stamps - stamps.iloc[0]).dt.total_seconds().to_numpy()


def _cycle_number(data: pd.DataFrame) -> np.ndarray | None:
    """EC-Lab's cycle number: stored, else half cycle // 2 as EC-Lab's export gives it."""
    if "cycle number" in data:
        return data["cycle number"].to_numpy(dtype=float)
    if "half cycle" in data:
        return np.floor_divide(data["half cycle"].to_numpy(dtype=float), 2)
    return None


def _current_from_dq(time_s: np.ndarray, dq_mAh: np.ndarray) -> np.ndarray:
    """Mean current (mA) over each interval from its charge increment; 0 at samples with
    no elapsed time (the first one, a step's repeated time), as EC-Lab's export writes
    ``<I>/mA`` there."""
    dt = np.diff(time_s, prepend=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(dt > 0, dq_mAh * 3600.0 / dt, 0.0)
