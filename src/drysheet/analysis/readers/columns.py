"""Find a quantity's column by name in a table with instrument-specific headers."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def find_column(
    data: pd.DataFrame, aliases: Iterable[tuple[str, float]]
) -> tuple[str, float] | None:
    """First ``(column, factor)`` whose alias matches a column name case-insensitively
    (ignoring spaces); ``factor`` converts the column to drysheet's SI-ish unit."""
    by_key = {column_key(c): c for c in data.columns}
    for alias, factor in aliases:
        column = by_key.get(column_key(alias))
        if column is not None:
            return column, factor
    return None


def column_key(name: object) -> str:
    """A column name compared case-insensitively, without whitespace."""
    return "".join(str(name).split()).lower()
