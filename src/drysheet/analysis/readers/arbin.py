"""Arbin .res records (MS Access databases) through mdbtools' ``mdb-export``.

galvani's ``res2sqlite`` converts every table of the database to SQLite; drysheet needs
only ``Channel_Normal_Table`` (and ``Global_Table`` for the test name), so it calls
``mdb-export`` directly, within time, output and memory limits. Arbin stores current in
A with charge positive, ``Test_Time`` in s, ``Step_Index`` and ``Cycle_Index`` (kept as
``step_instrument`` and ``cycle_instrument``) and the charge counters
``Charge_Capacity`` and ``Discharge_Capacity`` (Ah, unsigned, restarting with each
cycle; their increments become ``charge_increment_Ah``); rows are ordered by
``Data_Point`` (mdb-export does not guarantee the order). Arbin's CSV exports with the
same columns (``Test_Time`` or ``Test Time (s)``...) are read by :func:`read_arbin_csv`.
"""

from __future__ import annotations

import resource
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from drysheet.analysis.readers.columns import column_key, find_column
from drysheet.analysis.readers.text import PARSE_ERRORS, read_table, read_text, sniff_delimiter
from drysheet.analysis.readers.tidy import counter_increments, restarts_at, tidy
from drysheet.errors import DrysheetInputError

MDB_EXPORT = "mdb-export"
_MB = 1024**2
#: mdb-export's budget, so that a corrupt database fails fast: wall and CPU time grow
#: with the file size (the 0.5 MB example exports in 0.01 s); its output files (the CSV
#: and its warnings: a corrupt page can make it print the same warning forever) are
#: capped at a multiple of the input (the CSV text is smaller than the database: 0.6x
#: for the example); its address space is capped (it streams rows, using about 7 MB).
MAX_RES_BYTES = 2048 * _MB
TIMEOUT_BASE_S, TIMEOUT_S_PER_MB = 10.0, 1.0
OUTPUT_BASE_BYTES, OUTPUT_PER_INPUT_BYTE = 16 * _MB, 8
MEMORY_LIMIT_BYTES = 512 * _MB
_NEEDED = ("Data_Point", "Test_Time", "Step_Index", "Cycle_Index", "Current", "Voltage")
_COUNTERS = ("Charge_Capacity", "Discharge_Capacity")


def mdb_export_available() -> bool:
    """Whether mdbtools' ``mdb-export`` is on the PATH."""
    return shutil.which(MDB_EXPORT) is not None


def _limits(timeout_s: float, output_bytes: int) -> Callable[[], None]:
    def apply() -> None:  # runs in the child between fork and exec
        resource.setrlimit(resource.RLIMIT_CPU, (int(timeout_s) + 1, int(timeout_s) + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (output_bytes, output_bytes))
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))

    return apply


def _export(path: Path, table: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """``columns`` of ``table`` (those present) via mdb-export within the budget above;
    the CSV goes through a temporary file, never whole into memory."""
    size = path.stat().st_size
    if size > MAX_RES_BYTES:
        raise DrysheetInputError(
            f"{path}: {size / _MB:.0f} MB is beyond the {MAX_RES_BYTES / _MB:.0f} MB "
            "accepted for an Arbin .res file"
        )
    timeout_s = TIMEOUT_BASE_S + TIMEOUT_S_PER_MB * size / _MB
    output_bytes = OUTPUT_BASE_BYTES + OUTPUT_PER_INPUT_BYTE * size
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.run(
                [MDB_EXPORT, str(path), table],
                stdout=out,
                stderr=err,
                timeout=timeout_s,
                check=False,
                preexec_fn=_limits(timeout_s, output_bytes),
            )
        except subprocess.TimeoutExpired as exc:
            raise DrysheetInputError(
                f"{path}: mdb-export did not finish {table} within {timeout_s:.0f} s "
                "(corrupt database?)"
            ) from exc
        if proc.returncode != 0:
            err.seek(0)
            message = " ".join(err.read(300).decode("utf-8", "replace").split())
            stop = {
                signal.SIGXFSZ: f"output beyond {output_bytes / _MB:.0f} MB",
                signal.SIGXCPU: f"CPU time beyond {timeout_s:.0f} s",
            }.get(-proc.returncode, f"exit code {proc.returncode}")
            raise DrysheetInputError(
                f"{path}: not a readable Arbin .res database (mdb-export stopped: {stop}; "
                f"{message})"
            )
        out.seek(0)
        try:
            return pd.read_csv(out, usecols=lambda name: name in columns, dtype=object)
        except (*PARSE_ERRORS, pd.errors.EmptyDataError) as exc:
            raise DrysheetInputError(f"{path}: Arbin table {table} is unreadable ({exc})") from exc


def read_arbin_res(path: Path) -> pd.DataFrame:
    """Read an Arbin .res file into the drysheet time-series schema (needs mdbtools)."""
    if not mdb_export_available():
        raise DrysheetInputError(
            f"{path}: reading Arbin .res files needs mdbtools' mdb-export "
            "(Debian/Ubuntu: apt-get install mdbtools)"
        )
    data = _export(path, "Channel_Normal_Table", (*_NEEDED, *_COUNTERS))
    missing = [c for c in _NEEDED if c not in data]
    if missing:
        raise DrysheetInputError(f"{path} (arbin-res): missing column(s) {missing}")
    if data.empty:
        raise DrysheetInputError(
            f"{path}: Channel_Normal_Table has no rows (empty test or truncated file)"
        )
    data = data.apply(pd.to_numeric, errors="coerce")
    if data["Data_Point"].isna().any():
        raise DrysheetInputError(f"{path} (arbin-res): non-numeric Data_Point values")
    data = data.sort_values("Data_Point", kind="stable")
    meta = {}
    info = _export(path, "Global_Table", ("Test_Name",))
    if "Test_Name" in info and len(info):
        meta["test_name"] = str(info["Test_Name"].iloc[0])
    return _arbin_frame(data, path, "arbin-res", meta)


def _arbin_frame(data: pd.DataFrame, path: Path, fmt: str, meta: dict) -> pd.DataFrame:
    """Arbin's columns (names as in ``Channel_Normal_Table``) into the time-series schema."""
    increment_Ah = None
    if all(c in data for c in _COUNTERS):
        restarts = restarts_at(data["Cycle_Index"])
        charge, discharge = (
            counter_increments(data[c], restarts, unsigned=True) for c in _COUNTERS
        )
        increment_Ah = charge - discharge
    return tidy(
        path,
        fmt,
        data["Test_Time"],
        data["Voltage"],
        data["Current"],
        [data["Step_Index"].to_numpy(), data["Cycle_Index"].to_numpy()],
        data["Cycle_Index"],
        meta=meta,
        step_instrument=data["Step_Index"],
        charge_increment_Ah=increment_Ah,
    )


#: Arbin's CSV exports (MITS Pro, its Excel/CSV export, conversions of .res files) name
#: the columns of ``Channel_Normal_Table`` with underscores or spaces and units.
_CSV_NAMES = {
    "Data_Point": ("Data_Point", "Data Point"),
    "Test_Time": ("Test_Time", "Test_Time(s)", "Test Time (s)", "Test Time(s)"),
    "Step_Index": ("Step_Index", "Step Index"),
    "Cycle_Index": ("Cycle_Index", "Cycle Index"),
    "Current": ("Current", "Current(A)", "Current (A)"),
    "Voltage": ("Voltage", "Voltage(V)", "Voltage (V)"),
    "Charge_Capacity": ("Charge_Capacity", "Charge_Capacity(Ah)", "Charge Capacity (Ah)"),
    "Discharge_Capacity": (
        "Discharge_Capacity", "Discharge_Capacity(Ah)", "Discharge Capacity (Ah)",
    ),
}  # fmt: skip


def looks_like_arbin_csv(header: str) -> bool:
    """Whether a CSV header row names Arbin's data point, test time and cycle index."""
    keys = {column_key(c) for c in header.split(sniff_delimiter(header))}
    return all(
        keys & {column_key(a) for a in _CSV_NAMES[name]}
        for name in ("Data_Point", "Test_Time", "Cycle_Index")
    )


def read_arbin_csv(path: Path) -> pd.DataFrame:
    """Read an Arbin CSV export into the time-series schema (by hand: no maintained
    library reads these exports; the columns are those of the .res files)."""
    text = read_text(path, "Arbin CSV export")
    lines = [line for line in text.splitlines() if line.strip()]
    table = read_table("\n".join(lines), sniff_delimiter(lines[0]), path, "Arbin CSV table")
    data = pd.DataFrame(index=table.index)
    for name, aliases in _CSV_NAMES.items():
        found = find_column(table, [(a, 1.0) for a in aliases])
        if found is not None:
            data[name] = pd.to_numeric(table[found[0]], errors="coerce")
    missing = [c for c in _NEEDED if c not in data]
    if missing:
        raise DrysheetInputError(
            f"{path} (arbin-csv): missing column(s) {missing}; found {list(table.columns)}"
        )
    return _arbin_frame(data, path, "arbin-csv", {})
