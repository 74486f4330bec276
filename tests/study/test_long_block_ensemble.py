"""The stored ensemble of full 100-cycle draws: made by this model, read back, used only
while it matches."""

import numpy as np
import pytest

from drysheet.model.posterior import DEFAULT_SEED
from drysheet.study import long_block_ensemble as ens
from drysheet.study.cells import study_cells
from drysheet.study.intervals import LONG_BLOCK_ROWS


def test_the_package_ensemble_belongs_to_this_model():
    """The ensemble `drysheet reproduce` takes the 100-cycle intervals from was made by
    this code and data for its draws: after a change of either, re-run `python -m
    drysheet.study.long_block_ensemble` (about 35 min of CPU) and commit
    src/drysheet/data/long_block_draws.yaml, or the report falls back on the rate method."""
    stored = ens.LongBlockEnsemble.read(ens.ENSEMBLE_FILE)
    assert stored is not None
    assert stored.fingerprint == ens.ensemble_fingerprint(ens.ENSEMBLE_DRAWS, DEFAULT_SEED)
    assert ens.stored_ensemble() == stored
    rows = {f"{p}{f}/{a}" for p in LONG_BLOCK_ROWS for f, a in study_cells()}
    assert set(stored.values) == rows
    failed = len(stored.failures)
    for row, values in stored.values.items():  # every completed draw gave every row
        assert len(values) >= stored.n - failed, row
        assert np.all(np.isfinite(values))
    for key in (r for r in rows if r.startswith(LONG_BLOCK_ROWS[0])):
        assert np.all((np.array(stored.values[key]) > 0) & (np.array(stored.values[key]) < 100))


def _ensemble(fingerprint: str, values: dict[str, list[float]]) -> ens.LongBlockEnsemble:
    return ens.LongBlockEnsemble(fingerprint, "2026-12-03 00:00 UTC", 4, values, ["draw 3: x"])


def test_an_ensemble_of_another_model_or_other_draws_is_not_used(tmp_path):
    path = tmp_path / "draws.yaml"
    values = {"retention_100/a/b": [80.0, 82.0, 84.0]}
    _ensemble("another model", values).write(path)
    assert ens.LongBlockEnsemble.read(path) == _ensemble("another model", values)
    assert ens.stored_ensemble(path=path) is None
    this = ens.ensemble_fingerprint(4, DEFAULT_SEED)
    _ensemble(this, values).write(path)
    assert ens.stored_ensemble(4, DEFAULT_SEED, path) is not None
    assert ens.stored_ensemble(4, DEFAULT_SEED + 1, path) is None  # other draws
    assert ens.stored_ensemble(5, DEFAULT_SEED, path) is None
    path.write_text("fingerprint: [unclosed\n")
    assert ens.stored_ensemble(4, DEFAULT_SEED, path) is None


def test_the_spread_is_the_percentiles_of_the_completed_draws():
    values = {"retention_100/a/b": [80.0, 82.0, 84.0, 90.0], "fade_isolation/a/b": []}
    spread = _ensemble("x", values).spread()
    low, high = spread.band("retention_100/a/b")
    assert (low, high) == pytest.approx(tuple(np.percentile(values["retention_100/a/b"], [5, 95])))
    assert spread.band("fade_isolation/a/b") is None  # no completed draw: no interval
    assert spread.failures == ["draw 3: x"]
    assert "4 posterior draws run in full" in spread.source
