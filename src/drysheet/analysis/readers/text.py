"""Shared helpers for the hand-written text-export parsers."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import pandas as pd

from drysheet.errors import DrysheetInputError

#: Exceptions pandas and the standard library raise on malformed text; the parsers turn
#: them into DrysheetInputError.
PARSE_ERRORS = (ValueError, KeyError, IndexError, TypeError, OverflowError, pd.errors.ParserError)

_NUMBER = re.compile(r"^[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?$")


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
    more fields than the header are refused; missing trailing fields read as ""."""
    # trailing delimiters (common in exports) would read as extra, unnamed fields
    text = "\n".join(line.rstrip().rstrip(sep) for line in text.splitlines())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(
                io.StringIO(text),
                sep=sep,
                dtype=str,
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
    df.columns = [str(c).strip() for c in df.columns]
    for col in df.columns:
        values = df[col].fillna("").str.strip()
        if values.str.fullmatch(_NUMBER.pattern).all():
            df[col] = pd.to_numeric(values.str.replace(",", ".", regex=False))
        else:
            df[col] = values
    return df
