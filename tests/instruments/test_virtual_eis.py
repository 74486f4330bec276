"""Virtual impedance spectrometer of the blocking cell (docs/system.md §5.1)."""

from __future__ import annotations

import numpy as np
import pytest

from drysheet.errors import DrysheetInputError
from drysheet.instruments.eis import blocking_cell_spectrum

AREA = 0.785


def test_spectrum_columns_and_frequency_window():
    df = blocking_cell_spectrum(0.235, 1000, AREA)
    assert list(df.columns) == ["freq_Hz", "z_real_ohm", "z_imag_ohm"]
    assert df["freq_Hz"].iloc[0] == pytest.approx(7e6)
    assert df["freq_Hz"].iloc[-1] == pytest.approx(0.1)
    assert np.all(np.diff(df["freq_Hz"]) < 0)
    assert len(df) == 79  # 7.85 decades x 10 points per decade + 1


def test_plateau_is_the_total_ionic_resistance_plus_leads():
    sigma, L_um = 0.235, 1000
    df = blocking_cell_spectrum(
        sigma,
        L_um,
        AREA,
        stray_inductance_H=0.0,
        double_layer_F_per_cm2=1e3,
        f_min_Hz=1.0,
        f_max_Hz=1e3,
    )
    R_ion = L_um * 1e-6 / (sigma * AREA * 1e-4)
    np.testing.assert_allclose(df["z_real_ohm"], R_ion + 0.03, rtol=1e-4)


def test_blocking_spike_and_inductive_tail():
    df = blocking_cell_spectrum(0.235, 1000, AREA)
    phase = np.degrees(np.arctan2(df["z_imag_ohm"].iloc[-1], df["z_real_ohm"].iloc[-1]))
    assert phase == pytest.approx(-0.88 * 90, abs=1.0)  # CPE spike at -n x 90 degrees
    no_l = blocking_cell_spectrum(0.235, 1000, AREA, stray_inductance_H=0.0)
    dz = df["z_imag_ohm"].iloc[0] - no_l["z_imag_ohm"].iloc[0]
    assert dz == pytest.approx(2 * np.pi * 7e6 * 1e-7)  # series stray inductance


def test_grain_boundary_arc_enters_the_window_at_low_conductivity():
    lo = blocking_cell_spectrum(0.01, 1500, AREA, stray_inductance_H=0.0)
    R_ion = 1500e-6 / (0.01 * AREA * 1e-4)
    assert lo["z_real_ohm"].iloc[0] < 0.9 * R_ion  # arc only partly traversed at 7 MHz


def test_noise_is_seeded_and_proportional():
    a = blocking_cell_spectrum(0.2, 800, AREA, noise_rel=0.01, seed=3)
    b = blocking_cell_spectrum(0.2, 800, AREA, noise_rel=0.01, seed=3)
    clean = blocking_cell_spectrum(0.2, 800, AREA)
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
    z = clean["z_real_ohm"] + 1j * clean["z_imag_ohm"]
    rel = (a["z_real_ohm"] - clean["z_real_ohm"]) / np.abs(z)
    assert 0.005 < rel.std() < 0.02


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"sigma_ion_S_per_m": -1.0}, "sigma_ion_S_per_m"),
        ({"thickness_um": 0.0}, "thickness_um"),
        ({"grain_boundary_fraction": 1.0}, "grain_boundary_fraction"),
        ({"cpe_n": 1.2}, "cpe_n"),
        ({"f_min_Hz": 1e7}, "f_max_Hz"),
        ({"noise_rel": float("nan")}, "noise_rel"),
    ],
)
def test_bad_input_names_the_field(kwargs, field):
    args = {"sigma_ion_S_per_m": 0.2, "thickness_um": 1000.0, "area_cm2": AREA}
    args.update(kwargs)
    sigma, L, A = args.pop("sigma_ion_S_per_m"), args.pop("thickness_um"), args.pop("area_cm2")
    with pytest.raises(DrysheetInputError, match=field):
        blocking_cell_spectrum(sigma, L, A, **args)
