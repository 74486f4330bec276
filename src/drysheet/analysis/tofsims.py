"""ToF-SIMS intensity tables: normalisation and box-plot statistics per sample state.

A table holds secondary-ion counts per fragment (rows) and analysis spot (columns) for
one sample state (e.g. "pristine", "100 cycles"); the long form used here has columns
``state``, ``spot``, ``fragment``, ``intensity``. Normalisation divides by the spot's
total ion count (a "total"/"TIC" row if present, else the sum of all fragment rows) or
by a reference fragment of the same spot. Box-plot statistics follow matplotlib's
``cbook.boxplot_stats`` (quartiles, whiskers at the most extreme data within 1.5 IQR).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import cbook
from matplotlib.figure import Figure

from drysheet.analysis.readers.text import read_table, read_text, sniff_delimiter
from drysheet.errors import DrysheetInputError

#: Negative fragments of the study: phosphate CEI, sulfate/sulfite, PTFE, polysulfides.
FRAGMENTS = ("PO3-", "SO3-", "CF3-", "S2-")
TOTAL_NAMES = ("total", "tic", "total ion count")


def read_tofsims_table(path: str | Path, state: str) -> pd.DataFrame:
    """Read a fragment x spot table (first column: fragment names; one column per spot)
    into long form with the given sample ``state``."""
    path = Path(path)
    text = read_text(path, "ToF-SIMS intensity table")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        raise DrysheetInputError(f"{path}: no header row")
    wide = read_table("\n".join(lines), sniff_delimiter(lines[0]), path, "ToF-SIMS table")
    if wide.shape[1] < 2:
        raise DrysheetInputError(f"{path}: need a fragment column and at least one spot column")
    fragment = wide.columns[0]
    spots = list(wide.columns[1:])
    non_numeric = [c for c in spots if not pd.api.types.is_numeric_dtype(wide[c])]
    if non_numeric:
        raise DrysheetInputError(f"{path}: non-numeric intensities in spot(s) {non_numeric}")
    long = wide.melt(id_vars=fragment, value_vars=spots, var_name="spot", value_name="intensity")
    long = long.rename(columns={fragment: "fragment"})
    long.insert(0, "state", state)
    return long[["state", "spot", "fragment", "intensity"]]


def normalise(
    table: pd.DataFrame, method: str = "total", reference: str | None = None
) -> pd.DataFrame:
    """Add ``normalised`` = intensity / (spot total ion count) or / (reference fragment
    intensity of the same spot); total-count rows are dropped from the result."""
    is_total = table["fragment"].str.strip().str.lower().isin(TOTAL_NAMES)
    keys = ["state", "spot"]
    fragments = table[~is_total]
    if method == "total":
        totals = table[is_total] if is_total.any() else fragments
        divisor = totals.groupby(keys)["intensity"].sum().rename("divisor")
    elif method == "reference":
        ref = fragments[fragments["fragment"] == reference]
        if ref.empty:
            raise DrysheetInputError(f"reference fragment {reference!r} not in the table")
        divisor = ref.set_index(keys)["intensity"].rename("divisor")
    else:
        raise DrysheetInputError(f"method must be 'total' or 'reference', got {method!r}")
    out = fragments.join(divisor, on=keys)
    if not (out["divisor"] > 0).all():
        raise DrysheetInputError("a spot has a zero or missing normalisation intensity")
    out["normalised"] = out["intensity"] / out["divisor"]
    return out.drop(columns="divisor").reset_index(drop=True)


def boxplot_stats(
    table: pd.DataFrame, fragments: Sequence[str] = FRAGMENTS, value: str = "normalised"
) -> pd.DataFrame:
    """Box-plot statistics per state and fragment: n, mean, median, q1, q3, whisker_low,
    whisker_high, n_outliers (in the order states first appear)."""
    rows = []
    for state in table["state"].unique():
        for fragment in fragments:
            values = table.loc[
                (table["state"] == state) & (table["fragment"] == fragment), value
            ].to_numpy(dtype=float)
            if values.size == 0:
                continue
            (s,) = cbook.boxplot_stats(values, whis=1.5)
            rows.append(
                {
                    "state": state,
                    "fragment": fragment,
                    "n": values.size,
                    "mean": s["mean"],
                    "median": s["med"],
                    "q1": s["q1"],
                    "q3": s["q3"],
                    "whisker_low": s["whislo"],
                    "whisker_high": s["whishi"],
                    "n_outliers": len(s["fliers"]),
                }
            )
    if not rows:
        raise DrysheetInputError(f"none of the fragments {list(fragments)} is in the table")
    return pd.DataFrame(rows)


def boxplot_figure(stats: pd.DataFrame) -> Figure:
    """One panel per fragment, one box per sample state, from :func:`boxplot_stats`."""
    fragments = list(dict.fromkeys(stats["fragment"]))
    fig = Figure(figsize=(2.6 * len(fragments), 3.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(fragments)))
    for ax, fragment in zip(axes, fragments, strict=True):
        part = stats[stats["fragment"] == fragment]
        boxes = [
            {
                "label": row.state,
                "med": row.median,
                "q1": row.q1,
                "q3": row.q3,
                "whislo": row.whisker_low,
                "whishi": row.whisker_high,
                "fliers": [],
            }
            for row in part.itertuples()
        ]
        ax.bxp(boxes, showfliers=False)
        ax.set_title(fragment)
        ax.tick_params(axis="x", labelrotation=30)
    axes[0].set_ylabel("normalised intensity")
    return fig
