"""A MACCOR export in the MIMS Client layout (PyProBE's sample file): no state column,
signed current, the capacity counter in Ah."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from drysheet.analysis.readers import detect_format, read_cycler
from drysheet.result import cycle_table

SAMPLE = Path(__file__).parent / "data" / "maccor" / "sample_data_maccor.csv"


def test_mims_client_export():
    assert detect_format(SAMPLE) == "maccor"
    ts = read_cycler(SAMPLE)
    assert len(ts) == 15
    last = ts.iloc[-1]  # the last row PyProBE's test asserts
    assert (last["time_s"], last["step_instrument"]) == (13.06, 2)
    assert (last["current_A"], last["voltage_V"]) == (28.798, 3.716)
    np.testing.assert_array_equal(ts["cycle_instrument"], 1)
    table = cycle_table(ts, 1.0)
    # the instrument's counter (0.024 Ah, written to 1 mAh) rather than the integral
    assert table["charge_capacity_mAh_g"].iloc[0] == pytest.approx(24.0)
    integral_mAh = np.trapezoid(ts["current_A"].iloc[11:], ts["time_s"].iloc[11:]) / 3.6
    assert table["charge_capacity_mAh_g"].iloc[0] == pytest.approx(integral_mAh, abs=1.0)
