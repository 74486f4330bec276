"""ToF-SIMS: reading fragment x spot tables, normalisation, box-plot statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drysheet.analysis.plots import save
from drysheet.analysis.tofsims import (
    boxplot_figure,
    boxplot_stats,
    normalise,
    read_tofsims_table,
)
from drysheet.errors import DrysheetInputError


def _write(path, fragments: dict[str, list[float]]) -> None:
    n = len(next(iter(fragments.values())))
    lines = ["fragment," + ",".join(f"spot{k + 1}" for k in range(n))]
    lines += [name + "," + ",".join(str(v) for v in values) for name, values in fragments.items()]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def tables(tmp_path) -> pd.DataFrame:
    spots = np.arange(1, 11)
    pristine = {"PO3-": 10.0 * spots, "SO3-": 5.0 + 0 * spots, "CF3-": 20.0 + 0 * spots,
                "S2-": 1.0 + spots, "total": 1000.0 + 0 * spots}  # fmt: skip
    cycled = {"PO3-": 30.0 * spots, "SO3-": 15.0 + 0 * spots, "CF3-": 20.0 + 0 * spots,
              "S2-": 2.0 + spots, "total": 1000.0 + 0 * spots}  # fmt: skip
    _write(tmp_path / "p.csv", pristine)
    _write(tmp_path / "c.csv", cycled)
    return pd.concat(
        [read_tofsims_table(tmp_path / "p.csv", "pristine"),
         read_tofsims_table(tmp_path / "c.csv", "100 cycles")],
        ignore_index=True,
    )  # fmt: skip


def test_total_ion_count_normalisation_and_stats(tables, tmp_path):
    norm = normalise(tables)
    assert "total" not in set(norm["fragment"])
    stats = boxplot_stats(norm)
    assert len(stats) == 8
    po3 = stats[(stats["state"] == "pristine") & (stats["fragment"] == "PO3-")].iloc[0]
    assert po3["n"] == 10
    assert po3["median"] == pytest.approx(0.055)  # median of 10..100 / 1000
    assert po3["q1"] == pytest.approx(np.percentile(np.arange(10, 101, 10), 25) / 1000)
    assert po3["whisker_low"] == pytest.approx(0.01)
    assert po3["whisker_high"] == pytest.approx(0.1)
    cycled = stats[(stats["state"] == "100 cycles") & (stats["fragment"] == "SO3-")].iloc[0]
    assert cycled["median"] == pytest.approx(0.015)
    path = save(boxplot_figure(stats), tmp_path / "box.png")
    assert path.stat().st_size > 1000


def test_reference_fragment_normalisation(tables):
    norm = normalise(tables, method="reference", reference="CF3-")
    so3 = norm[(norm["fragment"] == "SO3-") & (norm["state"] == "100 cycles")]
    assert so3["normalised"].to_numpy() == pytest.approx(0.75)


def test_sum_as_total_when_no_total_row(tmp_path):
    _write(tmp_path / "t.csv", {"PO3-": [1.0, 2.0], "S2-": [3.0, 2.0]})
    norm = normalise(read_tofsims_table(tmp_path / "t.csv", "x"))
    assert norm["normalised"].tolist() == pytest.approx([0.25, 0.75, 0.5, 0.5])


def test_bad_tofsims_input(tmp_path, tables):
    path = tmp_path / "bad.csv"
    path.write_text("fragment,spot1\nPO3-,abc\n")
    with pytest.raises(DrysheetInputError, match="non-numeric"):
        read_tofsims_table(path, "x")
    with pytest.raises(DrysheetInputError, match="reference fragment"):
        normalise(tables, method="reference", reference="Cl-")
    with pytest.raises(DrysheetInputError, match="none of the fragments"):
        boxplot_stats(normalise(tables), fragments=("Cl-",))
