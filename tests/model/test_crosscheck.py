"""drysheet's model vs PyBaMM's stock DFN half cell on a shared case (issue 3, item 4)."""

import numpy as np
import pytest

from drysheet.model.crosscheck import discharge_curves


@pytest.mark.parametrize("c_rate", [0.1, 1.0])
def test_discharge_curves_agree_with_pybamm_dfn_half_cell(c_rate):
    q, v_drysheet, v_stock = discharge_curves(c_rate)
    assert q[-1] > 100  # a real discharge, not a stub
    rms_mV = 1e3 * np.sqrt(np.mean((v_drysheet - v_stock) ** 2))
    assert rms_mV < 10.0
