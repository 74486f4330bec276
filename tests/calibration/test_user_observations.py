"""Measured data as fit observations (drysheet.calibration.user_observations)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drysheet.calibration.user_observations import load_measured, observations, parse_cycles
from drysheet.errors import DrysheetInputError
from drysheet.protocols import get_protocol


def test_bad_cycles_and_missing_file():
    with pytest.raises(DrysheetInputError, match="cycles: '2-1'"):
        parse_cycles("2-1")
    assert parse_cycles("1-3, 5") == [1, 2, 3, 5]
    with pytest.raises(DrysheetInputError, match="file not found"):
        load_measured("no-such-file.csv")


def test_partial_and_extra_cycles_are_explained():
    """A record opening with a discharge (cycle 1 has no charge) and running past the
    protocol: the notes say why only cycle 2 is fitted."""
    table = pd.DataFrame(
        {
            "cycle": [1, 2, 3],
            "charge_capacity_mAh_g": [0.0, 98.7, 93.7],
            "discharge_capacity_mAh_g": [20.7, 85.3, 87.6],
            "coulomb_efficiency_pct": [np.nan, 86.4, 93.5],
        }
    )
    obs, notes = observations(
        table, get_protocol("first-cycles"), ("discharge_capacity",), {"discharge_capacity": 5.0}
    )
    assert set(obs["cycle"]) == {2}
    assert any("measured cycles [1] lack a charge or a discharge" in n for n in notes)
    assert any("measured cycles 3-3 are beyond the protocol" in n for n in notes)
