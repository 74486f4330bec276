"""Virtual DC polarisation: Yokota transient and the exact two-rail network."""

from __future__ import annotations

import numpy as np
import pytest

from drysheet.analysis.dc_polarisation import apparent_ionic_conductivity
from drysheet.errors import DrysheetInputError
from drysheet.instruments.dc_polarisation import (
    electron_blocking_transient,
    ion_blocking_transient,
)

AREA, L_UM = 0.785, 100.0
SERIES = {
    "se_layer_thickness_um": 300.0,
    "se_sigma_S_per_m": 0.2,
    "anode_charge_transfer_ohm_cm2": 10.0,
}


def _ohmic(sigma: float, voltage: float) -> float:
    return sigma * AREA * 1e-4 * voltage / (L_UM * 1e-6)


def test_ion_blocking_starts_with_both_carriers_and_ends_electronic():
    s_e, s_i = 1e-4, 4e-3
    df = ion_blocking_transient(s_e, s_i, L_UM, AREA)
    i = df["current_A"].to_numpy()
    assert i[0] == pytest.approx(_ohmic(s_e + s_i, 0.05), rel=0.02)
    assert i[-1] == pytest.approx(_ohmic(s_e, 0.05), rel=1e-4)
    assert np.all(np.diff(i) <= 0)
    assert np.all(df["voltage_V"] == 0.05)


def test_ion_blocking_relaxation_time_scales_with_chemical_capacitance():
    kw = {"duration_s": 2000.0, "n_points": 200}
    fast = ion_blocking_transient(1e-4, 4e-3, L_UM, AREA, chemical_capacitance_F_per_cm3=10, **kw)
    slow = ion_blocking_transient(1e-4, 4e-3, L_UM, AREA, chemical_capacitance_F_per_cm3=100, **kw)
    k = np.searchsorted(fast["time_s"], 50.0)
    assert fast["current_A"].iloc[k] < slow["current_A"].iloc[k]


@pytest.mark.parametrize(
    ("s_i", "s_e", "g"),
    [
        (4e-3, 5e-5, 0.0),
        (4e-3, 1e-2, 1e5),
        (4e-3, 1e-2, 1e7),
        (1e-3, 1e-1, 1e7),
        (1e-2, 1e-5, 1e9),
        (5e-3, 5e-3, 3e6),
    ],
)
def test_electron_blocking_late_time_equals_analytic_steady_state(s_i, s_e, g):
    df = electron_blocking_transient(s_i, s_e, g, L_UM, AREA, **SERIES)
    A = AREA * 1e-4
    r_series = 2 * 300e-6 / (0.2 * A) + 2 * 10.0e-4 / A
    sigma_app = apparent_ionic_conductivity(s_i, s_e, g, L_UM)
    expected = 0.1 / (r_series + L_UM * 1e-6 / (sigma_app * A))
    assert df["current_A"].iloc[-1] == pytest.approx(expected, rel=2e-3)


def test_finite_volume_grid_converges_to_the_analytic_value():
    s_i, s_e, g = 1e-3, 1e-1, 1e7
    exact = apparent_ionic_conductivity(s_i, s_e, g, L_UM)
    errors = []
    for n in (10, 40, 160):
        df = electron_blocking_transient(
            s_i,
            s_e,
            g,
            L_UM,
            AREA,
            se_layer_thickness_um=0.0,
            se_sigma_S_per_m=1.0,
            anode_charge_transfer_ohm_cm2=1e-9,
            n_volumes=n,
        )
        sigma = df["current_A"].iloc[-1] * L_UM * 1e-6 / (0.1 * AREA * 1e-4)
        errors.append(abs(sigma / exact - 1))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-3


def test_two_rail_network_reproduces_yokota_with_roles_swapped():
    """g = 0, ideal anodes: the electron-blocking cell is the ion-blocking one mirrored.

    Yokota's series is exact when the reversible carrier carries the voltage
    drop (sigma_rev >> sigma_blocked), so that is where they must agree.
    """
    s_rev, s_blk, c = 1e-2, 1e-4, 0.05
    kw = {"duration_s": 40.0, "n_points": 300, "voltage_V": 0.1}
    fv = electron_blocking_transient(
        s_rev,
        s_blk,
        0.0,
        L_UM,
        AREA,
        se_layer_thickness_um=0.0,
        se_sigma_S_per_m=1.0,
        anode_charge_transfer_ohm_cm2=1e-6,
        interface_capacitance_F_per_cm3=c,
        n_volumes=200,
        **kw,
    )
    yokota = ion_blocking_transient(
        s_rev, s_blk, L_UM, AREA, chemical_capacitance_F_per_cm3=c, **kw
    )
    i_inf, i_0 = _ohmic(s_rev, 0.1), _ohmic(s_rev + s_blk, 0.1)
    late = fv["time_s"] > 0.01
    np.testing.assert_allclose(
        (fv["current_A"][late] - i_inf) / (i_0 - i_inf),
        (yokota["current_A"][late] - i_inf) / (i_0 - i_inf),
        atol=0.01,
    )


def test_noise_is_seeded():
    a = electron_blocking_transient(4e-3, 1e-2, 1e6, L_UM, AREA, noise_rel=0.01, seed=1, **SERIES)
    b = electron_blocking_transient(4e-3, 1e-2, 1e6, L_UM, AREA, noise_rel=0.01, seed=1, **SERIES)
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"exchange_conductance_S_per_m3": -1.0}, "exchange_conductance_S_per_m3"),
        ({"se_sigma_S_per_m": 0.0}, "se_sigma_S_per_m"),
        ({"n_points": 5}, "n_points"),
        ({"interface_capacitance_F_per_cm3": 0.0}, "interface_capacitance_F_per_cm3"),
    ],
)
def test_electron_blocking_bad_input(kwargs, field):
    args = {"exchange_conductance_S_per_m3": 1e6, **SERIES, **kwargs}
    g = args.pop("exchange_conductance_S_per_m3")
    with pytest.raises(DrysheetInputError, match=field):
        electron_blocking_transient(4e-3, 1e-2, g, L_UM, AREA, **args)


def test_ion_blocking_bad_input():
    with pytest.raises(DrysheetInputError, match="sigma_e_S_per_m"):
        ion_blocking_transient(0.0, 4e-3, L_UM, AREA)
