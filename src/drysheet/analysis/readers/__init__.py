"""Readers for cycler files into drysheet's time-series schema (:mod:`drysheet.result`).

One reader stack for measured files. Cycler records: :func:`read_cycler`; impedance
spectra: :func:`read_impedance` (and the DC-polarisation tables through the same
module, :mod:`drysheet.analysis.readers.impedance`); DEMS ion currents:
:func:`read_dems` (Zilien .tsv through ixdat, else delimited tables). Cycler formats:
``biologic-mpr``, ``biologic-mpt``, ``neware-nda``, ``neware-ndax``, ``neware-csv``
(Neware's text exports), ``arbin-res``, ``arbin-csv``, ``maccor``, ``bdf-csv``,
``bdf-parquet`` (Battery Data Format), ``csv``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from drysheet.analysis.readers.arbin import (
    looks_like_arbin_csv,
    mdb_export_available,
    read_arbin_csv,
    read_arbin_res,
)
from drysheet.analysis.readers.bdf import (
    PARQUET_MAGIC,
    looks_like_bdf,
    read_bdf_csv,
    read_bdf_parquet,
)
from drysheet.analysis.readers.biologic import MPR_MAGIC, MPT_MAGICS, read_mpr, read_mpt
from drysheet.analysis.readers.generic_csv import ColumnMap, read_generic_csv
from drysheet.analysis.readers.impedance import read_impedance
from drysheet.analysis.readers.maccor import looks_like_maccor, read_maccor
from drysheet.analysis.readers.neware import read_neware
from drysheet.analysis.readers.neware_csv import looks_like_neware_csv, read_neware_csv
from drysheet.analysis.readers.zilien import looks_like_zilien, read_zilien
from drysheet.errors import DrysheetInputError

__all__ = [
    "FORMATS",
    "detect_format",
    "mdb_export_available",
    "read_cycler",
    "read_dems",
    "read_impedance",
]

FORMATS: dict[str, Callable[[Path], pd.DataFrame]] = {
    "biologic-mpr": read_mpr,
    "biologic-mpt": read_mpt,
    "neware-nda": read_neware,
    "neware-ndax": read_neware,
    "neware-csv": read_neware_csv,
    "arbin-res": read_arbin_res,
    "arbin-csv": read_arbin_csv,
    "maccor": read_maccor,
    "bdf-csv": read_bdf_csv,
    "bdf-parquet": read_bdf_parquet,
    "csv": read_generic_csv,
}
_SHORT_NAMES = {
    "mpr": "biologic-mpr",
    "mpt": "biologic-mpt",
    "nda": "neware-nda",
    "ndax": "neware-ndax",
    "res": "arbin-res",
    "arbin": "arbin-res",
    "generic": "csv",
    "bdf": "bdf-csv",
    "parquet": "bdf-parquet",
}
_BY_SUFFIX = {".mpr": "biologic-mpr", ".mpt": "biologic-mpt", ".nda": "neware-nda",
              ".ndax": "neware-ndax", ".res": "arbin-res",
              ".parquet": "bdf-parquet"}  # fmt: skip
_MAGIC: dict[str, Callable[[bytes], bool]] = {
    "biologic-mpr": lambda head: head.startswith(MPR_MAGIC),
    "neware-nda": lambda head: head.startswith(b"NEWARE"),
    "neware-ndax": lambda head: head.startswith(b"PK\x03\x04"),
    "arbin-res": lambda head: head[4:19] in (b"Standard Jet DB", b"Standard ACE DB"),
    "bdf-parquet": lambda head: head.startswith(PARQUET_MAGIC),
}


def _sniff(head: bytes) -> str | None:
    """Format from the first bytes of a file; None when it is not text and unknown."""
    for fmt, matches in _MAGIC.items():
        if matches(head):
            return fmt
    if b"\x00" in head:
        return None
    text = head.decode("latin-1").lstrip("\ufeff\xef\xbb\xbf")
    if text.startswith(MPT_MAGICS):
        return "biologic-mpt"
    header = next((line for line in text.splitlines() if line.strip()), "")
    if looks_like_arbin_csv(header):
        return "arbin-csv"
    if looks_like_neware_csv(text):
        return "neware-csv"
    if looks_like_maccor(text):
        return "maccor"
    return "bdf-csv" if looks_like_bdf(header) else "csv"


def detect_format(path: Path) -> str:
    """Format of ``path``: by suffix for binary formats (checked against the content's
    magic bytes), by content for text exports."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if not head:
        raise DrysheetInputError(f"{path}: file is empty")
    by_content = _sniff(head)
    by_suffix = _BY_SUFFIX.get(path.suffix.lower())
    if by_suffix in _MAGIC and by_content != by_suffix:
        found = f"looks like {by_content}" if by_content else "is not a known cycler format"
        raise DrysheetInputError(
            f"{path}: named like {by_suffix} but the content {found} (wrong or corrupt file)"
        )
    if by_content is None:
        raise DrysheetInputError(f"{path}: binary content of no supported cycler format")
    return by_suffix or by_content


def read_cycler(
    path: str | Path, *, fmt: str | None = None, column_map: ColumnMap | None = None
) -> pd.DataFrame:
    """Read a cycler file into the time-series schema of :mod:`drysheet.result`.

    ``fmt`` forces a format (one of :data:`FORMATS` or a short name such as "mpr");
    otherwise it is detected from the suffix and content. ``column_map`` applies to the
    generic CSV reader. Metadata found in the file (``cam_mass_g``, ``start_time``...)
    is in the returned frame's ``attrs``. Raises DrysheetInputError, and nothing else,
    for missing, empty, truncated, garbled or unsupported files and for physically
    impossible records (:func:`drysheet.analysis.readers.tidy.check_physical`).
    """
    path = Path(path)
    if not path.is_file():
        raise DrysheetInputError(f"{path}: no such file")
    if fmt is not None:
        fmt = _SHORT_NAMES.get(fmt.lower(), fmt.lower())
        if fmt not in FORMATS:
            raise DrysheetInputError(f"unknown format {fmt!r}; choose from {sorted(FORMATS)}")
    else:
        fmt = detect_format(path)
    if column_map is not None and fmt != "csv":
        raise DrysheetInputError(f"{path}: column_map applies to the csv format only, not {fmt}")
    try:
        if fmt == "csv":
            return read_generic_csv(path, column_map)
        return FORMATS[fmt](path)
    except DrysheetInputError:
        raise
    except Exception as exc:  # whatever a parser missed on malformed input
        reason = " ".join(str(exc).split())[:300]
        raise DrysheetInputError(
            f"{path} ({fmt}): unreadable file ({type(exc).__name__}: {reason})"
        ) from exc


def read_dems(path: str | Path) -> pd.DataFrame:
    """Ion currents per m/z against time (``time_s``, ``mz<N>_A``): a Zilien .tsv file
    (:func:`~drysheet.analysis.readers.zilien.read_zilien`), else a delimited table
    (:func:`drysheet.analysis.dems.read_dems_csv`)."""
    from drysheet.analysis.dems import read_dems_csv

    path = Path(path)
    if not path.is_file():
        raise DrysheetInputError(f"{path}: no such file")
    with path.open("rb") as fh:
        head = fh.read(4096).decode("latin-1")
    return read_zilien(path) if looks_like_zilien(head) else read_dems_csv(path)
