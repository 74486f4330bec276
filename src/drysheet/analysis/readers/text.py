"""Shared helpers for the hand-written text-export parsers."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from drysheet.errors import DrysheetInputError

#: Exceptions pandas and the standard library raise on malformed text; the parsers turn
#: them into DrysheetInputError.
PARSE_ERRORS = (ValueError, KeyError, IndexError, TypeError, OverflowError, pd.errors.ParserError)

#: Most columns a delimited table may have (instrument exports have fewer than 100).
MAX_COLUMNS = 1000

#: A number with decimal point or comma; ASCII digits only (Python's float() would also
#: take full-width or Arabic-Indic digits, which no instrument writes).
NUMBER = r"[-+]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)([eE][-+]?[0-9]+)?"


def read_text(path: Path, what: str) -> str:
    """The file's text (UTF-8, else Windows-1252/Latin-1); refuses empty or binary files."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DrysheetInputError(f"{path}: cannot read file ({exc.strerror})") from exc
    if not raw.strip():
        raise DrysheetInputError(f"{path}: file is empty, expected a {what}")
    if b"\x00" in raw[:65536]:
        raise DrysheetInputError(f"{path}: binary content, expected a {what} (text)")
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def sniff_delimiter(line: str) -> str:
    """Tab, semicolon or comma: whichever occurs most in ``line`` (tab wins ties)."""
    counts = {sep: line.count(sep) for sep in ("\t", ";", ",")}
    return max(counts, key=lambda sep: (counts[sep], sep == "\t"))


def read_table(text: str, sep: str, path: Path, what: str) -> pd.DataFrame:
    """Parse delimited text (first line = column names); columns whose every value is a
    number (decimal point or decimal comma) become float, the others stay str. Rows with
    more fields than the header are refused; missing trailing fields read as "".

    Cost is linear in the text's size: at most :data:`MAX_COLUMNS` columns (pandas'
    parser pays a fixed cost per column), then one vectorised pass over all cells.
    """
    # trailing delimiters (common in exports) would read as extra, unnamed fields
    text = "\n".join(line.rstrip().rstrip(sep) for line in text.splitlines())
    header = text[: text.find("\n") % (len(text) + 1)]
    if header.count(sep) >= MAX_COLUMNS:
        raise DrysheetInputError(
            f"{path}: {what} header has {header.count(sep) + 1} columns; "
            f"instrument exports have at most {MAX_COLUMNS}"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(
                io.StringIO(text),
                sep=sep,
                dtype=object,
                keep_default_na=False,
                skip_blank_lines=True,
                index_col=False,
                engine="c",
            )
    except pd.errors.ParserWarning as exc:
        raise DrysheetInputError(f"{path}: rows with more fields than the {what} header") from exc
    except (*PARSE_ERRORS, pd.errors.EmptyDataError) as exc:
        raise DrysheetInputError(f"{path}: not a readable {what} ({exc})") from exc
    if df.empty:
        raise DrysheetInputError(f"{path}: {what} has a header but no data rows")
    return _typed([str(c).strip() for c in df.columns], df.to_numpy(dtype=object))


def _typed(names: list[str], cells: np.ndarray) -> pd.DataFrame:
    """Columns whose every cell is a number become float, the others stripped str
    (object dtype); one pass of Arrow kernels over all cells, in C.

    Arrow's float parser never raises on long digit strings (they overflow to inf,
    which the readers refuse as non-finite), unlike Python's int().
    """
    n_rows, n_cols = cells.shape
    flat = pa.array(cells.ravel(order="F"), type=pa.string(), from_pandas=True)
    flat = pc.utf8_trim_whitespace(pc.fill_null(flat, ""))
    is_number = pc.match_substring_regex(flat, f"^{NUMBER}$").to_numpy(zero_copy_only=False)
    numeric = is_number.reshape(n_cols, n_rows).all(axis=1)
    take = np.repeat(numeric, n_rows)
    floats = np.full(len(flat), np.nan)
    decimal_point = pc.replace_substring(flat.filter(pa.array(take)), ",", ".")
    floats[take] = pc.cast(decimal_point, pa.float64()).to_numpy(zero_copy_only=False)
    floats = floats.reshape(n_cols, n_rows)
    strings = flat.to_numpy(zero_copy_only=False).reshape(n_cols, n_rows)
    position = np.arange(n_cols)
    blocks = [
        pd.DataFrame(floats[numeric].T, columns=position[numeric]),
        pd.DataFrame(strings[~numeric].T, columns=position[~numeric], dtype=object),
    ]
    frame = pd.concat(blocks, axis=1)[position]
    frame.columns = names
    return frame
