"""Arbin .res records (MS Access databases) through mdbtools' ``mdb-export``.

galvani's ``res2sqlite`` converts every table of the database to SQLite; drysheet needs
only ``Channel_Normal_Table`` (and ``Global_Table`` for the test name), so it calls
``mdb-export`` directly, within time, output and memory limits. Arbin stores current in
A with charge positive, ``Test_Time`` in s, ``Step_Index`` and ``Cycle_Index`` (kept as
``step_instrument`` and ``cycle_instrument``) and the charge counters
``Charge_Capacity`` and ``Discharge_Capacity`` (Ah, unsigned, restarting with each
cycle; their increments become ``charge_increment_Ah``); rows are ordered by
``Data_Point`` (mdb-export does not guarantee the order).
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

from drysheet.analysis.readers.text import PARSE_ERRORS
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
    increment_Ah = None
    if all(c in data for c in _COUNTERS):
        restarts = restarts_at(data["Cycle_Index"])
        charge, discharge = (
            counter_increments(data[c], restarts, unsigned=True) for c in _COUNTERS
        )
        increment_Ah = charge - discharge
    return tidy(
        path,
        "arbin-res",
        data["Test_Time"],
        data["Voltage"],
        data["Current"],
        [data["Step_Index"].to_numpy(), data["Cycle_Index"].to_numpy()],
        data["Cycle_Index"],
        meta=meta,
        step_instrument=data["Step_Index"],
        charge_increment_Ah=increment_Ah,
    )
