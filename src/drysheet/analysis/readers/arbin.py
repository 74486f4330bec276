"""Arbin .res records (MS Access databases) through mdbtools' ``mdb-export``.

galvani's ``res2sqlite`` converts every table of the database to SQLite; drysheet needs
only ``Channel_Normal_Table`` (and ``Global_Table`` for the test name), so it calls
``mdb-export`` directly, with a timeout. Arbin stores current in A with charge positive,
``Test_Time`` in s, ``Step_Index`` and ``Cycle_Index``; rows are ordered by
``Data_Point`` (mdb-export does not guarantee the order).
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pandas as pd

from drysheet.analysis.readers.text import PARSE_ERRORS
from drysheet.analysis.readers.tidy import tidy
from drysheet.errors import DrysheetInputError

MDB_EXPORT = "mdb-export"
TIMEOUT_S = 120.0
_NEEDED = ("Data_Point", "Test_Time", "Step_Index", "Cycle_Index", "Current", "Voltage")


def mdb_export_available() -> bool:
    """Whether mdbtools' ``mdb-export`` is on the PATH."""
    return shutil.which(MDB_EXPORT) is not None


def _export(path: Path, table: str) -> pd.DataFrame:
    try:
        proc = subprocess.run(
            [MDB_EXPORT, str(path), table],
            capture_output=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise DrysheetInputError(f"{path}: mdb-export timed out on {table}") from exc
    if proc.returncode != 0:
        err = " ".join(proc.stderr.decode("utf-8", "replace").split())
        err = err or f"exit code {proc.returncode}"
        raise DrysheetInputError(f"{path}: not a readable Arbin .res database ({err})")
    try:
        return pd.read_csv(io.BytesIO(proc.stdout))
    except (*PARSE_ERRORS, pd.errors.EmptyDataError) as exc:
        raise DrysheetInputError(f"{path}: Arbin table {table} is unreadable ({exc})") from exc


def read_arbin_res(path: Path) -> pd.DataFrame:
    """Read an Arbin .res file into the drysheet time-series schema (needs mdbtools)."""
    if not mdb_export_available():
        raise DrysheetInputError(
            f"{path}: reading Arbin .res files needs mdbtools' mdb-export "
            "(Debian/Ubuntu: apt-get install mdbtools)"
        )
    data = _export(path, "Channel_Normal_Table")
    missing = [c for c in _NEEDED if c not in data]
    if missing:
        raise DrysheetInputError(f"{path} (arbin-res): missing column(s) {missing}")
    if data.empty:
        raise DrysheetInputError(
            f"{path}: Channel_Normal_Table has no rows (empty test or truncated file)"
        )
    data = data.sort_values("Data_Point", kind="stable")
    meta = {}
    info = _export(path, "Global_Table")
    if "Test_Name" in info and len(info):
        meta["test_name"] = str(info["Test_Name"].iloc[0])
    return tidy(
        path,
        "arbin-res",
        data["Test_Time"],
        data["Voltage"],
        data["Current"],
        [data["Step_Index"].to_numpy(), data["Cycle_Index"].to_numpy()],
        data["Cycle_Index"],
        meta=meta,
    )
