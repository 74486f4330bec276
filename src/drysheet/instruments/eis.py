"""Virtual impedance spectrometer for the blocking cell SS | layer | SS (docs/system.md §5.1).

The study measured 0.1 Hz – 7 MHz at 20 mV amplitude, 200 MPa, room
temperature. The 20 mV amplitude is small against the thermal voltage
scale of the (linear) ohmic and capacitive elements, so the response is
linear and the amplitude does not enter.

Equivalent circuit (brick-layer picture of a polycrystalline electrolyte with
two ion-blocking electrodes)::

    Z = R_s + j w L_s + R_b/(1 + j w R_b C_geo) + R_gb/(1 + (j w)^n_gb R_gb Q_gb)
        + 1/(Q_dl (j w)^n_dl)

* ``R_b + R_gb = R_ion = L/(sigma A)`` with ``sigma`` the total (bulk + grain
  boundary) conductivity; ``R_gb = f_gb R_ion``.
* ``C_geo = eps0 eps_r A / L`` (bulk dielectric).
* brick layer: ``C_gb = (d_grain/delta_gb) C_geo``; the CPE is scaled so
  its peak frequency is ``1/(2 pi R_gb C_gb)``: ``Q_gb = R_gb^(n_gb-1) C_gb^n_gb``.
* two SS|SE double layers in series: ``Q_dl = C_dl A / 2``.
* ``R_s`` lead/contact resistance left after the instrument's short
  compensation, ``L_s`` stray inductance of leads and cell.

For LPSCl at room temperature the bulk and most of the grain-boundary arcs lie
above 7 MHz: the spectrum is an inductive tail, the ionic plateau and the
tilted blocking-electrode spike (as in the study). Capacitance ranges follow
Irvine, Sinclair & West, Adv. Mater. 2 (1990) 132: bulk ~1e-12 F/cm,
grain boundary 1e-11–1e-8 F/cm (cell-constant normalised), electrode
1e-7–1e-5 F.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from drysheet.errors import DrysheetInputError, require_number

EPS0_F_PER_M = 8.8541878128e-12  # CODATA 2018

# Defaults (each an estimate unless a source is given):
GRAIN_BOUNDARY_FRACTION = 0.3  # estimate: R_gb/R_ion of cold-pressed argyrodite at RT
RELATIVE_PERMITTIVITY = 30.0  # estimate: C_geo in the pF range (Irvine 1990 bulk range)
GB_CAPACITANCE_RATIO = 30.0  # estimate: d_grain/delta_gb -> C_gb ~0.5 nF, within Irvine 1990
GB_CPE_N = 0.9  # estimate: slightly depressed GB arc
DOUBLE_LAYER_F_PER_CM2 = 5e-6  # estimate: SS|LPSCl blocking interface, Irvine 1990 range
CPE_N = 0.88  # estimate: tilted blocking spike (rough pressed interface), n = 0.85-0.9
STRAY_INDUCTANCE_H = 1e-7  # estimate: leads + cell fixture, 0.1-1 uH typical
CONTACT_RESISTANCE_OHM = 0.03  # estimate: residual after short compensation, 10-50 mOhm


def blocking_cell_spectrum(
    sigma_ion_S_per_m: float,
    thickness_um: float,
    area_cm2: float,
    *,
    grain_boundary_fraction: float = GRAIN_BOUNDARY_FRACTION,
    relative_permittivity: float = RELATIVE_PERMITTIVITY,
    grain_boundary_capacitance_ratio: float = GB_CAPACITANCE_RATIO,
    grain_boundary_cpe_n: float = GB_CPE_N,
    double_layer_F_per_cm2: float = DOUBLE_LAYER_F_PER_CM2,
    cpe_n: float = CPE_N,
    stray_inductance_H: float = STRAY_INDUCTANCE_H,
    contact_resistance_ohm: float = CONTACT_RESISTANCE_OHM,
    f_min_Hz: float = 0.1,
    f_max_Hz: float = 7e6,
    points_per_decade: int = 10,
    noise_rel: float = 0.0,
    seed: int | None = None,
) -> pd.DataFrame:
    """Impedance spectrum of SS | layer | SS, high to low frequency.

    Returns columns ``freq_Hz``, ``z_real_ohm``, ``z_imag_ohm`` (``Im Z``,
    negative for capacitive behaviour). ``noise_rel`` adds Gaussian noise of
    standard deviation ``noise_rel |Z|`` independently to the real and
    imaginary parts (the usual proportional error structure of
    potentiostats).
    """
    sigma = require_number("sigma_ion_S_per_m", sigma_ion_S_per_m)
    L = require_number("thickness_um", thickness_um) * 1e-6
    A = require_number("area_cm2", area_cm2) * 1e-4
    f_gb = require_number(
        "grain_boundary_fraction", grain_boundary_fraction, allow_equal=True, maximum=1.0
    )
    if f_gb == 1.0:
        raise DrysheetInputError("grain_boundary_fraction: must be in [0, 1) (got 1)")
    eps_r = require_number("relative_permittivity", relative_permittivity)
    ratio = require_number("grain_boundary_capacitance_ratio", grain_boundary_capacitance_ratio)
    n_gb = require_number("grain_boundary_cpe_n", grain_boundary_cpe_n, maximum=1.0)
    c_dl = require_number("double_layer_F_per_cm2", double_layer_F_per_cm2)
    n_dl = require_number("cpe_n", cpe_n, maximum=1.0)
    L_s = require_number("stray_inductance_H", stray_inductance_H, allow_equal=True)
    R_s = require_number("contact_resistance_ohm", contact_resistance_ohm, allow_equal=True)
    f_lo = require_number("f_min_Hz", f_min_Hz)
    f_hi = require_number("f_max_Hz", f_max_Hz)
    if f_hi <= f_lo:
        raise DrysheetInputError(f"f_max_Hz: must exceed f_min_Hz (got {f_hi:g} <= {f_lo:g})")
    ppd = int(require_number("points_per_decade", points_per_decade, maximum=1000))
    noise = require_number("noise_rel", noise_rel, allow_equal=True, maximum=0.5)

    n = max(2, round(math.log10(f_hi / f_lo) * ppd) + 1)
    f = np.geomspace(f_hi, f_lo, n)
    jw = 2j * np.pi * f

    R_ion = L / (sigma * A)
    R_b, R_gb = (1.0 - f_gb) * R_ion, f_gb * R_ion
    C_geo = EPS0_F_PER_M * eps_r * A / L
    C_gb = ratio * C_geo
    Q_dl = c_dl * 1e4 * A / 2.0  # F/cm2 -> F/m2, two electrodes in series
    z = R_s + jw * L_s + R_b / (1.0 + jw * R_b * C_geo) + 1.0 / (Q_dl * jw**n_dl)
    if R_gb > 0.0:
        Q_gb = R_gb ** (n_gb - 1.0) * C_gb**n_gb
        z = z + R_gb / (1.0 + jw**n_gb * R_gb * Q_gb)
    if noise > 0.0:
        rng = np.random.default_rng(seed)
        z = z + noise * np.abs(z) * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
    return pd.DataFrame({"freq_Hz": f, "z_real_ohm": z.real, "z_imag_ohm": z.imag})
