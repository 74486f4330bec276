"""NCM85 material functions."""

import numpy as np

from drysheet.model import ncm85


def test_ocp_wall_keeps_the_last_lithium_in_the_lattice():
    # a 4.4 V (vs In/InLi) charge must end before the particle empties (DEMS sheet-sheet)
    assert ncm85.ocp_vs_in_inli(0.0) > 4.4
    assert ncm85.ocp_vs_in_inli(0.05) < 4.4
    # ... and leaves the study's 2.3-3.7 V window untouched (x >= 0.2)
    x = np.linspace(0.2, 0.99, 50)
    wall = ncm85.OCP_WALL_V * np.exp(-x / ncm85.OCP_WALL_WIDTH)
    assert wall.max() < 1e-4


def test_ocp_falls_monotonically_with_lithiation():
    x = np.linspace(0.0, 1.0, 401)
    assert np.all(np.diff(ncm85.ocp_vs_li(x)) < 0)


def test_strain_slope_integrates_to_the_volume_change():
    x = np.linspace(0.0, 1.0, 20001)
    total = np.trapezoid(ncm85.volume_strain_slope(x), x)
    expected = ncm85.volume_strain(1.0) - ncm85.volume_strain(0.0)
    assert abs(total - expected) < 1e-6 * ncm85.VOLUME_CHANGE
